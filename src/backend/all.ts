// Registers every backend this build has: cpu-js always; native ones register factories that load lazily.
import './cpu-js/index.js';
import './cuda/index.js';
import './cpu/index.js';
