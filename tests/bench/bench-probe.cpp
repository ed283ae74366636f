// bench-probe: runs a command and measures it, like /usr/bin/time -v, plus
// the memory at the moment the command finished reading a capture file.
//
//   bench-probe [--watch FILE] [--threads] [--interval-ms N] [--out FILE] -- COMMAND [ARGS...]
//
// Prints one line of key=value pairs (to --out, else to stderr):
//   exit=0 wall_s=1.234 user_s=1.100 sys_s=0.100 cpu_s=1.200 maxrss_kb=45000
//   watch_end_s=0.900 watch_end_rss_kb=43000
// CPU times and the peak RSS come from wait4()'s rusage. With --watch, the
// probe samples /proc/PID every N ms (default 5): the capture counts as read
// once the process has had FILE open with its position past half its size,
// and then no longer has it open or has it at its end (egresswatchd keeps it
// open to read evidence packets back; a first look at a file's first packet
// does not count); watch_end_s and watch_end_rss_kb are the time and resident
// memory of that first sample. For egresswatchd that is the flow
// table full, before the flows are ended and written out at shutdown.
// With --threads, it also samples /proc/PID/task/*/stat every N ms and adds
// threads=NAME:CPU_S,... (user + system seconds of each thread by name, as
// last sampled: a thread that ends loses at most N ms; threads of one name
// are summed).
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <optional>
#include <string>
#include <thread>

namespace {

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = -1;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value;
      break;
    }
    in.ignore(1 << 12, '\n');
  }
  return value;
}

// The position of FILE in the process, if it has it open (the largest, if several).
std::optional<long long> open_position(pid_t pid, const std::string& file) {
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d) return std::nullopt;
  std::optional<long long> pos;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[PATH_MAX];
    ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (file != target) continue;
    std::ifstream info("/proc/" + std::to_string(pid) + "/fdinfo/" + e->d_name);
    std::string key;
    long long value = 0;
    if (info >> key >> value && key == "pos:") pos = std::max(pos.value_or(0), value);
  }
  closedir(d);
  return pos;
}

// Each thread's CPU seconds (user + system) and name, by thread id.
void sample_threads(pid_t pid, std::map<long, std::pair<std::string, double>>& threads) {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name + "/stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    // pid (comm) state ...: comm may hold spaces, so split at the last ')'.
    size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int f = 3; rest >> field; ++f) {  // fields 14 and 15: utime, stime
      if (f == 14) utime = std::stoull(field);
      if (f == 15) { stime = std::stoull(field); break; }
    }
    threads[std::atol(e->d_name)] = {line.substr(open + 1, close - open - 1), double(utime + stime) / ticks};
  }
  closedir(d);
}

int usage() {
  std::fputs("usage: bench-probe [--watch FILE] [--threads] [--interval-ms N] [--out FILE] -- COMMAND [ARGS...]\n",
             stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string watch, out;
  int interval_ms = 5;
  bool per_thread = false;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--threads") {
      per_thread = true;
      continue;
    }
    if (i + 1 >= argc) return usage();
    if (a == "--watch") watch = argv[++i];
    else if (a == "--interval-ms") interval_ms = std::max(1, std::atoi(argv[++i]));
    else if (a == "--out") out = argv[++i];
    else return usage();
  }
  if (i >= argc) return usage();

  long long watch_size = 0;
  if (!watch.empty()) {
    char resolved[PATH_MAX];
    struct stat st{};
    if (!realpath(watch.c_str(), resolved) || stat(resolved, &st) != 0) {
      std::fprintf(stderr, "bench-probe: %s: %s\n", watch.c_str(), std::strerror(errno));
      return 2;
    }
    watch = resolved;
    watch_size = st.st_size;
  }

  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("bench-probe: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[i], argv + i);
    std::fprintf(stderr, "bench-probe: %s: %s\n", argv[i], std::strerror(errno));
    _exit(127);
  }

  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  bool read_half = false;
  double end_s = -1;
  long end_rss = -1;
  int status = 0;
  rusage usage{};
  std::map<long, std::pair<std::string, double>> threads;
  for (;;) {
    bool polling = per_thread || (!watch.empty() && end_s < 0);
    pid_t done = wait4(pid, &status, polling ? WNOHANG : 0, &usage);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      std::perror("bench-probe: wait4");
      return 2;
    }
    if (done == 0 && per_thread) sample_threads(pid, threads);
    if (done == 0 && (watch.empty() || end_s >= 0)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
      continue;
    }
    if (done == 0) {
      auto pos = open_position(pid, watch);
      long rss = rss_kb(pid);
      if (pos && *pos >= watch_size / 2) read_half = true;
      if (read_half && (!pos || *pos >= watch_size) && rss >= 0) {
        end_s = elapsed();
        end_rss = rss;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
  }
  double wall = elapsed();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  char buffer[512];
  std::snprintf(buffer, sizeof buffer,
                "exit=%d wall_s=%.3f user_s=%.3f sys_s=%.3f cpu_s=%.3f maxrss_kb=%ld watch_end_s=%.3f "
                "watch_end_rss_kb=%ld",
                code, wall, seconds(usage.ru_utime), seconds(usage.ru_stime),
                seconds(usage.ru_utime) + seconds(usage.ru_stime), usage.ru_maxrss, end_s, end_rss);
  std::string line = buffer;
  if (per_thread) {
    std::map<std::string, double> by_name;
    for (const auto& [tid, thread] : threads) by_name[thread.first] += thread.second;
    line += " threads=";
    bool first = true;
    for (const auto& [name, cpu] : by_name) {
      std::string n = name;
      std::replace(n.begin(), n.end(), ' ', '_');
      std::snprintf(buffer, sizeof buffer, "%s%s:%.2f", first ? "" : ",", n.c_str(), cpu);
      line += buffer;
      first = false;
    }
  }
  line += "\n";
  if (out.empty()) {
    std::fputs(line.c_str(), stderr);
  } else {
    std::FILE* f = std::fopen(out.c_str(), "w");
    if (!f || std::fputs(line.c_str(), f) < 0 || std::fclose(f) != 0) {
      std::fprintf(stderr, "bench-probe: %s: %s\n", out.c_str(), std::strerror(errno));
      return 2;
    }
  }
  return code;
}
