#pragma once

namespace cityops::common {

// Graceful shutdown on SIGTERM/SIGINT. Install() is called first thing in
// main (before any thread starts) and blocks both signals in every thread;
// WaitForShutdownSignal() then returns the signal once one arrives (or 0 after
// RequestShutdown(), for tests and fatal errors).
class ShutdownSignal {
 public:
  static void Install();
  static int WaitForShutdownSignal();
  static void RequestShutdown();
};

}  // namespace cityops::common
