#pragma once
// CPUs and processes as /proc and the scheduler see them: pinning, busy time of a CPU, CPU
// time and memory of a process. Every benchmark reports these beside its own figures, because
// on a small shared machine they decide whether the figures mean anything.

#include <sys/types.h>

#include <string_view>

namespace weft::bench {

// Pins `pid` (0: the calling thread) to one CPU; false when refused.
bool pin_to_cpu(pid_t pid, int cpu);
// Whether this process may run on `cpu`.
bool cpu_allowed(int cpu);

// Busy (not idle, not iowait) seconds of one CPU since boot, from /proc/stat; 0 if unknown.
// Pinning keeps the hub and the load generator apart, not other processes away: comparing a
// CPU's busy time with the hub's own CPU time shows whether anything else ran there.
double cpu_busy_seconds(int cpu);
// Busy seconds of every CPU together ("cpu" line of /proc/stat); 0 if unknown.
double all_cpus_busy_seconds();

// User + system CPU time of all of a process's threads.
double process_cpu_seconds(pid_t pid);
// User + system CPU time of the calling thread / of this whole process.
double thread_cpu_seconds();
double self_cpu_seconds();

// A field of /proc/<pid>/status in kB (VmHWM, VmRSS); 0 when unreadable.
long status_kb(pid_t pid, std::string_view field);
// Resets VmHWM to the current RSS (Linux >= 4.0), so that a phase reports its own peak.
bool reset_peak_rss(pid_t pid);

}  // namespace weft::bench
