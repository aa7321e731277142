// The numbers and layout encoding the cpu addon shares with the cuda one (see ../native-codes.ts).
export { ACTIVATION_CODES, BINARY_CODES, COMPARE_OPS, DTYPE_CODES, encodeLayout, MAP_CODES, REDUCE_CODES } from '../native-codes.js';
