// defines: the op numbers the TypeScript side sends (src/backend/cuda/codes.ts lists them in this order).
#pragma once

namespace tcuda {

enum MapOp : int {
  kNeg, kExp, kLog, kSqrt, kRsqrt, kAbs, kTanh, kSigmoid, kRelu, kGelu, kGeluTanh, kErf, kSin, kCos,
  kSquare, kReciprocal, kSign, kFloor, kCeil, kRound, kLogicalNot, kAddScalar, kMulScalar, kPowScalar,
  kRsubScalar, kClamp,
};

enum BinaryOp : int {
  kAdd, kSub, kMul, kDiv, kPow, kMaximum, kMinimum, kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr,
  kReluGrad, kGeluGrad, kGeluTanhGrad,
};

enum ReduceOp : int { kSum, kMax, kMin, kProd, kArgmax, kArgmin };

enum Activation : int { kActNone, kActRelu, kActGelu, kActGeluTanh };

inline bool isCompare(int op) { return op >= kEq && op <= kOr; }

}  // namespace tcuda
