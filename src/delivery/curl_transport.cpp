#include "delivery/curl_transport.hpp"

#include <curl/curl.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

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
  // The loop thread's own.
  std::map<CURL*, std::unique_ptr<Queued>> running;
  std::vector<std::unique_ptr<Exchange>> loop_idle;
  std::atomic<std::size_t> loop_handles{0};

  ~Impl() {
    if (loop_thread.joinable()) {
      {
        std::lock_guard lock(queue_mutex);
        loop_stopping = true;
      }
      curl_multi_wakeup(multi.get());
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
    loop_thread = std::thread([this] {
      set_thread_role("http-out");
      loop();
    });
  }

  void submit(std::unique_ptr<Queued> q) {
    {
      std::lock_guard lock(queue_mutex);
      queued.push_back(std::move(q));
    }
    curl_multi_wakeup(multi.get());
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

  void loop() {
    std::vector<std::unique_ptr<Queued>> batch;
    for (;;) {
      {
        std::lock_guard lock(queue_mutex);
        // On the way out, exchanges already submitted still run to their end (each has a
        // timeout): whoever waits for them hears how they went.
        if (loop_stopping && queued.empty() && running.empty()) return;
        batch.swap(queued);
      }
      for (auto& q : batch) start_queued(std::move(q));
      batch.clear();
      int still_running = 0;
      curl_multi_perform(multi.get(), &still_running);
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
      // Sleeps until a socket is ready, curl's next timeout, or curl_multi_wakeup.
      curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr);
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
  s.idle_handles = impl_->idle.size();
  return s;
}

}  // namespace weft::delivery
