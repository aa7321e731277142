// Node-API helpers of the CUDA addon: argument decoding, storage externals, TesseraError construction.
#include "napi_glue.h"

#include <cstring>

namespace tcuda::napi {

namespace {

// Marks externals made by this addon so a foreign external (e.g. a cpu storage) is rejected.
const napi_type_tag kBufferTag = {0x7e55e7a0c0da0001ULL, 0x5eedba5e0de00ca1ULL};

napi_ref gErrorClass = nullptr;

// A basic finalizer: runs inside garbage collection, makes no JS calls, only returns the block to the cache.
void finalizeBuffer(node_api_basic_env, void* data, void*) {
  auto* b = static_cast<Buffer*>(data);
  freeBuffer(b);
  delete b;
}

}  // namespace

void check(napi_status s, const char* what) {
  if (s != napi_ok) throw OpError(std::string("Node-API call failed: ") + what);
}

CallArgs::CallArgs(napi_env e, napi_callback_info info) : env(e) {
  check(napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr), "napi_get_cb_info");
  if (argc_ > kMaxArgs) argc_ = kMaxArgs;
}

bool CallArgs::isNullish(size_t i) const {
  if (i >= argc_) return true;
  napi_valuetype t;
  napi_typeof(env, argv_[i], &t);
  return t == napi_null || t == napi_undefined;
}

Buffer* CallArgs::buffer(size_t i) const {
  bool ok = false;
  if (i < argc_) napi_check_object_type_tag(env, argv_[i], &kBufferTag, &ok);
  if (!ok) throw OpError(std::string("cuda ") + currentOp() + ": argument " + std::to_string(i) + " is not a cuda storage");
  void* p = nullptr;
  check(napi_get_value_external(env, argv_[i], &p), "napi_get_value_external");
  auto* b = static_cast<Buffer*>(p);
  if (b->released) throw OpError(std::string("cuda ") + currentOp() + ": storage was released and cannot be used");
  return b;
}

Buffer* CallArgs::bufferOrNull(size_t i) const { return isNullish(i) ? nullptr : buffer(i); }

std::vector<Buffer*> CallArgs::buffers(size_t i) const {
  bool isArr = false;
  if (i < argc_) napi_is_array(env, argv_[i], &isArr);
  if (!isArr) throw OpError(std::string("cuda ") + currentOp() + ": argument " + std::to_string(i) + " must be an array of storages");
  uint32_t n = 0;
  check(napi_get_array_length(env, argv_[i], &n), "napi_get_array_length");
  std::vector<Buffer*> out(n);
  for (uint32_t k = 0; k < n; k++) {
    napi_value v;
    check(napi_get_element(env, argv_[i], k, &v), "napi_get_element");
    bool ok = false;
    napi_check_object_type_tag(env, v, &kBufferTag, &ok);
    if (!ok) throw OpError(std::string("cuda ") + currentOp() + ": element " + std::to_string(k) + " is not a cuda storage");
    void* p = nullptr;
    check(napi_get_value_external(env, v, &p), "napi_get_value_external");
    out[k] = static_cast<Buffer*>(p);
    if (out[k]->released) throw OpError(std::string("cuda ") + currentOp() + ": storage was released and cannot be used");
  }
  return out;
}

double CallArgs::number(size_t i) const {
  double v = 0;
  if (i >= argc_ || napi_get_value_double(env, argv_[i], &v) != napi_ok) {
    throw OpError(std::string("cuda ") + currentOp() + ": argument " + std::to_string(i) + " must be a number");
  }
  return v;
}

int64_t CallArgs::integer(size_t i) const { return static_cast<int64_t>(number(i)); }

bool CallArgs::boolean(size_t i) const {
  bool v = false;
  if (i >= argc_ || napi_get_value_bool(env, argv_[i], &v) != napi_ok) {
    throw OpError(std::string("cuda ") + currentOp() + ": argument " + std::to_string(i) + " must be a boolean");
  }
  return v;
}

std::vector<double> CallArgs::doubles(size_t i) const {
  size_t bytes = 0;
  auto* d = static_cast<double*>(typedArrayData(i, &bytes));
  return std::vector<double>(d, d + bytes / sizeof(double));
}

void* CallArgs::typedArrayData(size_t i, size_t* byteLength) const {
  bool isTa = false;
  if (i < argc_) napi_is_typedarray(env, argv_[i], &isTa);
  if (!isTa) throw OpError(std::string("cuda ") + currentOp() + ": argument " + std::to_string(i) + " must be a typed array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value ab;
  size_t off = 0;
  check(napi_get_typedarray_info(env, argv_[i], &type, &length, &data, &ab, &off), "napi_get_typedarray_info");
  size_t elem = 1;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: elem = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
    default: elem = 1;
  }
  *byteLength = length * elem;
  return data;
}

HostLayout CallArgs::layout(size_t i) const {
  const std::vector<double> v = doubles(i);
  HostLayout l;
  if (v.size() < 2) throw OpError(std::string("cuda ") + currentOp() + ": malformed layout");
  l.nd = static_cast<int>(v[0]);
  if (l.nd < 0 || l.nd > 16 || v.size() != static_cast<size_t>(2 + 2 * l.nd)) {
    throw OpError(std::string("cuda ") + currentOp() + ": malformed layout (" + std::to_string(l.nd) + " dims)");
  }
  l.offset = static_cast<int64_t>(v[1]);
  for (int d = 0; d < l.nd; d++) {
    l.shape[d] = static_cast<int64_t>(v[2 + d]);
    l.strides[d] = static_cast<int64_t>(v[2 + l.nd + d]);
  }
  return l;
}

void checkLayout(const char* op, const Buffer* b, const HostLayout& l) {
  if (l.numel() == 0) return;
  int64_t lo, hi;
  l.extent(&lo, &hi);
  if (lo < 0 || hi >= b->length) {
    throw OpError(std::string("cuda ") + op + ": layout " + l.shapeString() + " at offset " + std::to_string(l.offset) +
                  " reaches outside a storage of " + std::to_string(b->length) + " elements");
  }
}

napi_value wrap(napi_env env, Buffer* b) {
  napi_value out;
  const napi_status s = napi_create_external(env, b, finalizeBuffer, nullptr, &out);
  if (s != napi_ok) {
    freeBuffer(b);
    delete b;
    throw OpError("Node-API call failed: napi_create_external");
  }
  check(napi_type_tag_object(env, out, &kBufferTag), "napi_type_tag_object");
  return out;
}

napi_value wrapOwned(napi_env env, Owned& o) { return wrap(env, o.release()); }

napi_value makeNumber(napi_env env, double v) {
  napi_value out;
  check(napi_create_double(env, v, &out), "napi_create_double");
  return out;
}

napi_value makeBool(napi_env env, bool v) {
  napi_value out;
  check(napi_get_boolean(env, v, &out), "napi_get_boolean");
  return out;
}

napi_value makeNull(napi_env env) {
  napi_value out;
  check(napi_get_null(env, &out), "napi_get_null");
  return out;
}

napi_value makeString(napi_env env, const std::string& s) {
  napi_value out;
  check(napi_create_string_utf8(env, s.c_str(), s.size(), &out), "napi_create_string_utf8");
  return out;
}

napi_value makeArray(napi_env env, const std::vector<napi_value>& items) {
  napi_value arr;
  check(napi_create_array_with_length(env, items.size(), &arr), "napi_create_array");
  for (size_t i = 0; i < items.size(); i++) check(napi_set_element(env, arr, static_cast<uint32_t>(i), items[i]), "napi_set_element");
  return arr;
}

napi_value makeObject(napi_env env) {
  napi_value out;
  check(napi_create_object(env, &out), "napi_create_object");
  return out;
}

void setProp(napi_env env, napi_value obj, const char* key, napi_value v) {
  check(napi_set_named_property(env, obj, key, v), "napi_set_named_property");
}

napi_value nullValue(napi_env env) {
  napi_value out;
  napi_get_null(env, &out);
  return out;
}

napi_value undefinedValue(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

void exportFunction(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  check(napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f), "napi_create_function");
  check(napi_set_named_property(env, exports, name, f), "napi_set_named_property");
}

void setErrorClass(napi_env env, napi_value ctor) {
  if (gErrorClass) napi_delete_reference(env, gErrorClass);
  check(napi_create_reference(env, ctor, 1, &gErrorClass), "napi_create_reference");
}

void throwError(napi_env env, const std::string& message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_value ctor = nullptr;
  if (gErrorClass) napi_get_reference_value(env, gErrorClass, &ctor);
  napi_value msg;
  napi_create_string_utf8(env, message.c_str(), message.size(), &msg);
  if (ctor) {
    napi_value err;
    if (napi_new_instance(env, ctor, 1, &msg, &err) == napi_ok) {
      napi_throw(env, err);
      return;
    }
  }
  napi_throw_error(env, nullptr, message.c_str());
}

}  // namespace tcuda::napi
