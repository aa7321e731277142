// OpError: an error a user can cause inside a kernel call (id out of range, out of memory, released
// storage). The N-API layer turns it into a TesseraError with the same one-line message.
#pragma once
#include <stdexcept>
#include <string>

namespace tessera {

struct OpError : std::runtime_error {
  explicit OpError(const std::string& m) : std::runtime_error(m) {}
};

}  // namespace tessera
