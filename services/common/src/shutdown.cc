#include "cityops/common/shutdown.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <ctime>
#include <mutex>

namespace cityops::common {
namespace {

// SIGTERM and SIGINT ask for a graceful shutdown; SIGUSR1, sent to the
// waiting thread only, is how RequestShutdown wakes it.
constexpr int kWakeSignal = SIGUSR1;

std::atomic<bool> g_installed{false};
std::atomic<bool> g_requested{false};
std::mutex g_waiter_mutex;
bool g_has_waiter = false;
pthread_t g_waiter;

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, kWakeSignal);
  return set;
}

}  // namespace

void ShutdownSignal::Install() {
  const sigset_t set = ShutdownSignals();
  // Threads started afterwards inherit the mask, so the signals stay pending
  // until WaitForShutdownSignal takes them.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  g_installed = true;
}

int ShutdownSignal::WaitForShutdownSignal() {
  const sigset_t set = ShutdownSignals();
  const bool installed = g_installed.load();
  if (installed) {
    // The waiting thread must block them too, whichever thread it is.
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::lock_guard lock(g_waiter_mutex);
    g_has_waiter = true;
    g_waiter = pthread_self();
  }
  int result = 0;
  while (true) {
    if (g_requested.exchange(false)) break;
    if (!installed) {
      // Without Install the signals are not ours: only RequestShutdown ends the wait.
      struct timespec pause {
        0, 20'000'000
      };
      nanosleep(&pause, nullptr);
      continue;
    }
    // Bounded, as a safety net; RequestShutdown's signal ends it at once.
    struct timespec timeout {
      2, 0
    };
    const int sig = sigtimedwait(&set, nullptr, &timeout);
    if (sig == SIGTERM || sig == SIGINT) {
      result = sig;
      break;
    }
    // kWakeSignal, a timeout or EINTR: look at the request flag again.
  }
  if (installed) {
    std::lock_guard lock(g_waiter_mutex);
    g_has_waiter = false;
  }
  return result;
}

void ShutdownSignal::RequestShutdown() {
  g_requested = true;
  std::lock_guard lock(g_waiter_mutex);
  if (g_has_waiter) pthread_kill(g_waiter, kWakeSignal);
}

}  // namespace cityops::common
