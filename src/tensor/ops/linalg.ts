// matmul (torch.matmul's rules: batch broadcasting, 1-D operands) and linear (x @ W^T + b in one fused
// backend call), with their backward rules.
import type { Activation, Layout } from '../../backend/backend.js';
import { ShapeError } from '../../errors.js';
import { isGradEnabled } from '../../autograd/engine.js';
import { promoteTypes, type DType } from '../dtype.js';
import { autocastOperand, autocastTarget } from '../autocast.js';
import { keep } from '../scope.js';
import { broadcastLayout, broadcastShapes, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';

/** t in the autocast dtype (parameters cast once per autocast scope, see ../autocast.ts). */
const castOperand = (t: Tensor, dtype: DType): Tensor => autocastOperand(t, dtype, keep);

function computeIn(t: Tensor, dtype: DType): Tensor {
  const cd = t.backend.computeDTypes.includes(dtype) ? dtype : 'float32';
  return t.dtype === cd ? t : t.detach().to(cd);
}

/** Batched matmul of a (..., M, K) and b (..., K, N); no autograd. */
function rawMatmul(a: Tensor, b: Tensor, activation: Activation = 'none', bias?: Tensor): Tensor {
  a.sameDevice(b, 'matmul');
  const M = a.dim(-2), K = a.dim(-1), K2 = b.dim(-2), N = b.dim(-1);
  if (K !== K2) throw new ShapeError(`matmul: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} do not match (inner dims ${K} and ${K2})`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  const dtype = promoteTypes(a.dtype, b.dtype);
  const A = computeIn(a, dtype), B = computeIn(b, dtype);
  const al: Layout = broadcastLayout(A.layout, [...batch, M, K], 'matmul');
  const bl: Layout = broadcastLayout(B.layout, [...batch, K, N], 'matmul');
  const biasT = bias ? computeIn(bias, dtype).contiguous() : undefined;
  const storage = a.backend.matmul(A.storage, al, B.storage, bl, { bias: biasT?.storage, activation });
  const out = Tensor.fromStorage(storage, [...batch, M, N], a.backend);
  return out.dtype === dtype ? out : out.to(dtype);
}

/** torch.matmul. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(`matmul: both operands need at least 1 dim, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  if (a.ndim === 1 && b.ndim === 1) return matmul(a.unsqueeze(0), b.unsqueeze(1)).reshape([]);
  if (a.ndim === 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
  if (b.ndim === 1) return matmul(a, b.unsqueeze(1)).squeeze(-1);
  // autocast (see ../autocast.ts): compute in the half type on the casted inputs
  const ac = autocastTarget(a.backend, [a.dtype, b.dtype]);
  if (ac && (a.dtype !== ac || b.dtype !== ac)) return matmul(castOperand(a, ac), castOperand(b, ac));
  const out = rawMatmul(a, b);
  return Tensor.record(out, 'matmul', [a, b], (g0) => {
    // gradients keep the output's dtype (a bf16 product gets bf16 gradient products)
    const g = g0.dtype === out.dtype ? g0 : g0.to(out.dtype);
    return [
      a.requiresGrad ? sumTo(matmul(g, b.transpose(-2, -1)), a.shape) : null,
      b.requiresGrad ? sumTo(matmul(a.transpose(-2, -1), g), b.shape) : null,
    ];
  });
}

/**
 * y = act(x @ weight^T + bias) for x (..., in), weight (out, in), bias (out): one backend matmul with the
 * bias (and activation) in its epilogue. Differentiable in x, weight and bias.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, activation: Activation = 'none'): Tensor {
  const inF = weight.dim(-1), outF = weight.dim(0);
  if (x.dim(-1) !== inF) throw new ShapeError(`linear: input of shape ${shapeStr(x.shape)} does not match weight of shape ${shapeStr(weight.shape)} (in_features ${inF})`);
  if (bias && (bias.ndim !== 1 || bias.dim(0) !== outF)) throw new ShapeError(`linear: bias of shape ${shapeStr(bias.shape)} does not match ${outF} output features`);
  const ac = autocastTarget(x.backend, bias ? [x.dtype, weight.dtype, bias.dtype] : [x.dtype, weight.dtype]);
  if (ac && (x.dtype !== ac || weight.dtype !== ac || (bias && bias.dtype !== ac))) {
    return linear(castOperand(x, ac), castOperand(weight, ac), bias ? castOperand(bias, ac) : bias, activation);
  }
  const lead = x.shape.slice(0, -1);
  const x2 = x.reshape([-1, inF]);
  const recording = isGradEnabled() && (x.requiresGrad || weight.requiresGrad || !!bias?.requiresGrad);
  if (!recording) {
    // nothing to differentiate: the activation runs in the matmul's epilogue, one pass over the output
    return rawMatmul(x2, weight.transpose(0, 1), activation, bias ?? undefined).reshape([...lead, outF]);
  }
  const pre = activation === 'none' ? null : rawMatmul(x2, weight.transpose(0, 1), 'none', bias ?? undefined);
  const y2 = pre ? applyActivation(pre, activation) : rawMatmul(x2, weight.transpose(0, 1), 'none', bias ?? undefined);
  const out = Tensor.record(y2, 'linear', [x2, weight, bias ?? null], (g0) => {
    const g = g0.dtype === y2.dtype ? g0 : g0.to(y2.dtype);
    const gz = pre ? activationGrad(pre, g, activation) : g;
    return [
      x2.requiresGrad ? matmul(gz, weight) : null,
      weight.requiresGrad ? matmul(gz.transpose(0, 1), x2) : null,
      bias?.requiresGrad ? gz.sum(0) : null,
    ];
  });
  return out.reshape([...lead, outF]);
}

function applyActivation(z: Tensor, act: Activation): Tensor {
  switch (act) {
    case 'relu': return z.detach().relu();
    case 'gelu': return z.detach().gelu();
    case 'geluTanh': return z.detach().gelu('tanh');
    default: return z;
  }
}

function activationGrad(z: Tensor, g: Tensor, act: Activation): Tensor {
  const backend = z.backend;
  const op = act === 'relu' ? 'reluGrad' : act === 'gelu' ? 'geluGrad' : 'geluTanhGrad';
  const G = g.contiguous();
  return Tensor.fromStorage(backend.binary(op, z.storage, z.layout, G.storage, G.layout), z.shape, backend);
}
