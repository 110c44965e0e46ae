#pragma once

namespace cityops::common {

// Graceful shutdown on SIGTERM/SIGINT. Install() is called first thing in
// main (before any thread starts) and blocks both signals in every thread;
// WaitForShutdownSignal() then returns the signal once one arrives (or 0 after
// RequestShutdown(), for tests and fatal errors; the wait consumes the
// request). Signals are taken with sigtimedwait, never by a handler;
// RequestShutdown wakes the waiting thread with SIGUSR1 sent to it alone.
class ShutdownSignal {
 public:
  static void Install();
  static int WaitForShutdownSignal();
  static void RequestShutdown();
};

}  // namespace cityops::common
