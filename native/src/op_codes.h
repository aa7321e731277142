// Numeric codes of the contract's op names, in the order src/backend/cpu/codes.ts lists them.
#pragma once

namespace tessera {

enum MapCode {
  kNeg, kExp, kLog, kSqrt, kRsqrt, kAbs, kTanh, kSigmoid, kRelu, kGelu, kGeluTanh, kErf, kSin, kCos, kSquare,
  kReciprocal, kSign, kFloor, kCeil, kRound, kLogicalNot, kAddScalar, kMulScalar, kPowScalar, kRsubScalar, kClamp,
  kMapCodeCount
};

enum BinaryCode {
  kAdd, kSub, kMul, kDiv, kPow, kMaximum, kMinimum, kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr, kReluGrad, kGeluGrad,
  kGeluTanhGrad, kBinaryCodeCount
};

enum ReduceCode { kSum, kMax, kMin, kProd, kArgmax, kArgmin, kReduceCodeCount };

inline bool isCompare(int op) { return op >= kEq && op <= kOr; }

}  // namespace tessera
