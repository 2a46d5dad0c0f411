#pragma once
// The API edge of long work (STYLE.md): runs a body that returns a Result and throws on
// failure or cancellation, and turns those into the Result's status and error, with the
// elapsed time. Result needs `status` (an enum with Cancelled and Failed), `error` and
// `elapsedSeconds`.

#include <chrono>
#include <exception>

#include "util/error.h"

namespace rope {

template <typename Result, typename Body>
Result guardedRun(Body&& body) {
  const auto t0 = std::chrono::steady_clock::now();
  Result r;
  try {
    r = body();
  } catch (const CancelledError&) {
    r = Result{};
    r.status = decltype(r.status)::Cancelled;
    r.error = "cancelled";
  } catch (const std::exception& e) {
    r = Result{};
    r.status = decltype(r.status)::Failed;
    r.error = e.what();
  }
  r.elapsedSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace rope
