#include "delivery/curl_transport.hpp"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/file_descriptor.hpp"
#include "core/thread_role.hpp"
#include "delivery/curl_exchange.hpp"

namespace weft::delivery {

using curl_detail::Exchange;

namespace {

void global_init() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(result));
  }
}

struct ShareDeleter {
  void operator()(CURLSH* s) const { curl_share_cleanup(s); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};

// The lock callbacks of the share: one mutex per kind of shared data, so that a DNS lookup
// and a TLS session resumption do not wait for each other.
struct ShareLocks {
  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes;

  static void lock(CURL* /*handle*/, curl_lock_data data, curl_lock_access /*access*/, void* self) {
    static_cast<ShareLocks*>(self)->mutexes[static_cast<std::size_t>(data)].lock();
  }
  static void unlock(CURL* /*handle*/, curl_lock_data data, void* self) {
    static_cast<ShareLocks*>(self)->mutexes[static_cast<std::size_t>(data)].unlock();
  }
};

Attempt no_handle() {
  Attempt attempt;
  attempt.transport = Transport::connect_failed;
  attempt.transport_detail = "could not create a curl handle";
  return attempt;
}

}  // namespace

struct CurlTransport::Impl {
  CurlTransportOptions options;
  ShareLocks locks;
  std::unique_ptr<CURLSH, ShareDeleter> share;

  // Blocking sends: a pool of handles, each with its own connections.
  mutable std::mutex pool_mutex;
  std::vector<std::unique_ptr<Exchange>> idle;  // most recently returned last
  std::size_t handles = 0;

  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> connections{0};

  // Sends without blocking: one event loop thread over a multi handle, whose connection
  // cache all of its exchanges share. Started by the first send_async.
  struct Queued {
    OutboundRequest request;
    SendDone done;
    std::unique_ptr<Exchange> exchange;  // while it runs
  };
  std::once_flag loop_started;
  std::thread loop_thread;
  std::unique_ptr<CURLM, MultiDeleter> multi;
  std::mutex queue_mutex;
  std::vector<std::unique_ptr<Queued>> queued;  // submitted, not yet on the multi handle
  bool loop_stopping = false;
  // Wakes the loop from epoll_wait. Set by the first submit after the loop last looked at the
  // queue, so that a burst of submits costs one wake-up, not one each.
  FileDescriptor wake;
  std::atomic<bool> wake_pending{false};
  // The loop thread's own.
  FileDescriptor epoll;
  // What each socket curl watches is registered for, and the sockets curl stopped watching that
  // stay registered (parked): see on_socket.
  std::unordered_map<curl_socket_t, std::uint32_t> registered;
  std::unordered_set<curl_socket_t> parked;
  std::map<CURL*, std::unique_ptr<Queued>> running;
  std::vector<std::unique_ptr<Exchange>> loop_idle;
  std::atomic<std::size_t> loop_handles{0};
  std::atomic<std::uint64_t> loop_wakeups{0};

  ~Impl() {
    if (loop_thread.joinable()) {
      {
        std::lock_guard lock(queue_mutex);
        loop_stopping = true;
      }
      wake_loop();
      loop_thread.join();
    }
    // Easy handles detach from the multi and the share before those are cleaned up.
    loop_idle.clear();
    idle.clear();
  }

  std::unique_ptr<Exchange> take() {
    {
      std::lock_guard lock(pool_mutex);
      if (!idle.empty()) {
        std::unique_ptr<Exchange> x = std::move(idle.back());
        idle.pop_back();
        return x;
      }
    }
    auto x = Exchange::create(share.get());
    if (!x) return nullptr;
    std::lock_guard lock(pool_mutex);
    ++handles;
    return x;
  }

  void give_back(std::unique_ptr<Exchange> x) {
    std::unique_lock lock(pool_mutex);
    if (idle.size() < options.max_idle_handles) {
      idle.push_back(std::move(x));
      return;
    }
    --handles;
    lock.unlock();
    x.reset();  // closes its connections, outside the lock
  }

  Attempt finish(Exchange& x, CURLcode rc) {
    std::uint64_t opened = 0;
    Attempt attempt = x.finish(rc, options.max_response_bytes, opened);
    if (opened > 0) connections.fetch_add(opened, std::memory_order_relaxed);
    requests.fetch_add(1, std::memory_order_relaxed);
    return attempt;
  }

  void start_loop() {
    multi.reset(curl_multi_init());
    if (!multi) throw std::runtime_error("curl_multi_init failed");
    // Connections kept alive between exchanges: as many as blocking sends may keep.
    curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS,
                      static_cast<long>(std::max<std::size_t>(1, options.max_idle_handles)));
    // curl tells which sockets to watch (and curl_multi_timeout when it next wants the time
    // to be looked at); epoll reports only the sockets that are ready, so a loop turn costs what
    // happened, not what is in flight (curl_multi_perform and curl_multi_poll visit every running
    // exchange on every turn).
    curl_multi_setopt(multi.get(), CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi.get(), CURLMOPT_SOCKETDATA, this);
    epoll = FileDescriptor(epoll_create1(EPOLL_CLOEXEC));
    wake = FileDescriptor(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!epoll.valid() || !wake.valid())
      throw std::runtime_error("cannot create the outbound event loop's descriptors");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake.get();
    if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0) {
      throw std::runtime_error("cannot watch the outbound event loop's wake-up descriptor");
    }
    loop_thread = std::thread([this] {
      set_thread_role("http-out");
      loop();
    });
  }

  void wake_loop() {
    if (wake_pending.exchange(true, std::memory_order_acq_rel)) return;  // one is on its way
    const std::uint64_t one = 1;
    (void)!write(wake.get(), &one, sizeof one);  // cannot fail short of EAGAIN: already awake
  }

  void submit(std::unique_ptr<Queued> q) {
    {
      std::lock_guard lock(queue_mutex);
      queued.push_back(std::move(q));
    }
    wake_loop();
  }

  static int on_socket(CURL* /*easy*/, curl_socket_t socket, int what, void* self,
                       void* /*socketp*/) {
    auto& impl = *static_cast<Impl*>(self);
    if (what == CURL_POLL_REMOVE) {
      // An exchange is over and its connection goes back to curl's cache. Waiting for input
      // only, it stays registered (parked): an idle keep-alive connection is silent, and the
      // next exchange on it then costs one epoll_ctl (MOD) instead of three (DEL, a MOD that
      // fails, ADD). A parked socket that speaks (the server closed it) is let go (loop()).
      // Also when curl closes it, in which case the kernel has dropped it already.
      if (auto it = impl.registered.find(socket);
          it != impl.registered.end() && it->second == EPOLLIN) {
        impl.registered.erase(it);
        impl.parked.insert(socket);
        return 0;
      }
      impl.registered.erase(socket);
      epoll_ctl(impl.epoll.get(), EPOLL_CTL_DEL, socket, nullptr);
      return 0;
    }
    // A parked socket may have been closed by curl since (the kernel then dropped it) and its
    // number given to a new one: hence MOD, and ADD when the kernel has no such registration.
    impl.parked.erase(socket);
    epoll_event ev{};
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    ev.data.fd = socket;
    if (epoll_ctl(impl.epoll.get(), EPOLL_CTL_MOD, socket, &ev) != 0 && errno == ENOENT) {
      epoll_ctl(impl.epoll.get(), EPOLL_CTL_ADD, socket, &ev);
    }
    impl.registered[socket] = ev.events;
    return 0;
  }

  // Ends an exchange of the loop: its handle idles, `done` hears the outcome.
  void complete(std::unique_ptr<Queued> q, Attempt attempt) {
    if (q->exchange) {
      if (loop_idle.size() < options.max_idle_handles) {
        loop_idle.push_back(std::move(q->exchange));
      } else {
        q->exchange.reset();
        loop_handles.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    q->done(std::move(attempt));
  }

  void start_queued(std::unique_ptr<Queued> q) {
    if (loop_idle.empty()) {
      q->exchange = Exchange::create(share.get());
      if (!q->exchange) return complete(std::move(q), no_handle());
      loop_handles.fetch_add(1, std::memory_order_relaxed);
    } else {
      q->exchange = std::move(loop_idle.back());
      loop_idle.pop_back();
    }
    Exchange& x = *q->exchange;
    if (std::optional<Attempt> refused = x.begin(q->request, options)) {
      requests.fetch_add(1, std::memory_order_relaxed);
      return complete(std::move(q), std::move(*refused));
    }
    if (const CURLMcode mc = curl_multi_add_handle(multi.get(), x.handle()); mc != CURLM_OK) {
      Attempt attempt = no_handle();
      attempt.transport_detail = std::string("not sent: ") + curl_multi_strerror(mc);
      std::uint64_t ignored = 0;
      (void)x.finish(CURLE_FAILED_INIT, options.max_response_bytes, ignored);
      requests.fetch_add(1, std::memory_order_relaxed);
      return complete(std::move(q), std::move(attempt));
    }
    running.emplace(x.handle(), std::move(q));
  }

  void complete_finished() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode rc = msg->data.result;
      curl_multi_remove_handle(multi.get(), easy);
      auto it = running.find(easy);
      if (it == running.end()) continue;
      std::unique_ptr<Queued> q = std::move(it->second);
      running.erase(it);
      Attempt attempt = finish(*q->exchange, rc);
      complete(std::move(q), std::move(attempt));
    }
  }

  // Runs what curl has due now (new exchanges, timeouts, retries); the milliseconds until
  // it next wants the time looked at, at most a second. Asked of curl each turn rather than
  // kept from its timer callback: curl calls that only when its earliest timer changes, so a
  // timer looked at a little early (the callback rounds to whole milliseconds) would be lost.
  int run_due() {
    long due_ms = -1;
    curl_multi_timeout(multi.get(), &due_ms);
    if (due_ms == 0) {
      int still_running = 0;
      curl_multi_socket_action(multi.get(), CURL_SOCKET_TIMEOUT, 0, &still_running);
      complete_finished();
      curl_multi_timeout(multi.get(), &due_ms);
    }
    return due_ms < 0 ? 1000 : static_cast<int>(std::min<long>(due_ms, 1000));
  }

  void loop() {
    std::vector<std::unique_ptr<Queued>> batch;
    std::array<epoll_event, 64> events{};
    int still_running = 0;
    for (;;) {
      wake_pending.store(false, std::memory_order_release);  // submits from here on wake us again
      {
        std::lock_guard lock(queue_mutex);
        // On the way out, exchanges already submitted still run to their end (each has a
        // timeout): whoever waits for them hears how they went.
        if (loop_stopping && queued.empty() && running.empty()) return;
        batch.swap(queued);
      }
      // Adding a handle makes it due at once: run_due starts them.
      for (auto& q : batch) start_queued(std::move(q));
      batch.clear();
      const int wait_ms = run_due();
      const int n =
          epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()), wait_ms);
      loop_wakeups.fetch_add(1, std::memory_order_relaxed);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake.get()) {
          std::uint64_t count = 0;
          (void)!read(fd, &count, sizeof count);
          continue;
        }
        if (parked.erase(fd) != 0) {
          // Not curl's to hear (it watches the socket no more): a closed or otherwise speaking
          // idle connection would report itself at every wait. curl finds out when it reuses it.
          epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
          continue;
        }
        const std::uint32_t e = events[i].events;
        const int action = (e & (EPOLLIN | EPOLLHUP) ? CURL_CSELECT_IN : 0) |
                           (e & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                           (e & EPOLLERR ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(multi.get(), fd, action, &still_running);
      }
      complete_finished();
    }
  }
};

CurlTransport::CurlTransport(CurlTransportOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->options = std::move(options);
  impl_->share.reset(curl_share_init());
  if (!impl_->share) throw std::runtime_error("curl_share_init failed");
  CURLSH* s = impl_->share.get();
  CURLSHcode rc = curl_share_setopt(s, CURLSHOPT_LOCKFUNC, &ShareLocks::lock);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(s, CURLSHOPT_UNLOCKFUNC, &ShareLocks::unlock);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(s, CURLSHOPT_USERDATA, &impl_->locks);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  if (rc != CURLSHE_OK) {
    throw std::runtime_error(std::string("curl_share_setopt failed: ") + curl_share_strerror(rc));
  }
}

CurlTransport::~CurlTransport() = default;

Attempt CurlTransport::send(const OutboundRequest& request) {
  Impl& impl = *impl_;
  std::unique_ptr<Exchange> x = impl.take();
  if (!x) return no_handle();
  std::optional<Attempt> refused = x->begin(request, impl.options);
  Attempt attempt;
  if (refused) {
    impl.requests.fetch_add(1, std::memory_order_relaxed);
    attempt = std::move(*refused);
  } else {
    attempt = impl.finish(*x, curl_easy_perform(x->handle()));
  }
  impl.give_back(std::move(x));
  return attempt;
}

void CurlTransport::send_async(OutboundRequest request, SendDone done) {
  Impl& impl = *impl_;
  std::call_once(impl.loop_started, [&impl] { impl.start_loop(); });
  auto q = std::make_unique<Impl::Queued>();
  q->request = std::move(request);
  q->done = std::move(done);
  impl.submit(std::move(q));
}

CurlTransport::Stats CurlTransport::stats() const {
  Stats s;
  s.requests = impl_->requests.load(std::memory_order_relaxed);
  s.connections_opened = impl_->connections.load(std::memory_order_relaxed);
  std::lock_guard lock(impl_->pool_mutex);
  s.handles = impl_->handles + impl_->loop_handles.load(std::memory_order_relaxed);
  s.loop_wakeups = impl_->loop_wakeups.load(std::memory_order_relaxed);
  s.idle_handles = impl_->idle.size();
  return s;
}

}  // namespace weft::delivery
