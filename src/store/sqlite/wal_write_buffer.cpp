#include "store/sqlite/wal_write_buffer.hpp"

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace weft::store::sqlite {

namespace {

constexpr int kWalHeaderBytes = 32;
constexpr int kFrameHeaderBytes = 24;

sqlite3_vfs* base_vfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

// A WAL file: SQLite's file object is this, followed by the platform's own file object.
struct WalFile {
  sqlite3_file base;           // base.pMethods: kWalMethods
  sqlite3_file* inner;         // the platform's file, in the same allocation
  std::vector<char>* pending;  // written, not yet passed on; nullptr until the first write
  sqlite3_int64 pending_at;    // the offset of pending's first byte
  // The offset right after the header of the last commit frame seen: once the page written
  // there is in the buffer, the commit is complete and is passed on.
  sqlite3_int64 commit_page_at;
};

// Where the platform's file object starts inside SQLite's allocation.
constexpr std::size_t kInnerOffset = (sizeof(WalFile) + alignof(std::max_align_t) - 1) /
                                     alignof(std::max_align_t) * alignof(std::max_align_t);

WalFile& wal(sqlite3_file* file) { return *reinterpret_cast<WalFile*>(file); }

int flush(WalFile& f) {
  if (f.pending == nullptr || f.pending->empty()) return SQLITE_OK;
  const int rc = f.inner->pMethods->xWrite(f.inner, f.pending->data(),
                                           static_cast<int>(f.pending->size()), f.pending_at);
  f.pending->clear();
  return rc;
}

// A frame header whose "database size after commit" (bytes 4-7) is not zero ends a commit.
bool is_commit_frame_header(const void* data, int amount, sqlite3_int64 offset) {
  if (amount != kFrameHeaderBytes || offset < kWalHeaderBytes) return false;
  const auto* bytes = static_cast<const unsigned char*>(data);
  return (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  WalFile& f = wal(file);
  if (f.pending == nullptr) f.pending = new (std::nothrow) std::vector<char>();
  if (f.pending == nullptr) return f.inner->pMethods->xWrite(f.inner, data, amount, offset);
  std::vector<char>& buffer = *f.pending;
  const bool follows = !buffer.empty() && offset == f.pending_at + sqlite3_int64(buffer.size());
  const auto size = static_cast<std::size_t>(amount);
  if (!follows || buffer.size() + size > kWalWriteBufferBytes) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    if (size > kWalWriteBufferBytes)
      return f.inner->pMethods->xWrite(f.inner, data, amount, offset);
    f.pending_at = offset;
  }
  if (buffer.capacity() == 0) {
    // SQLite calls this from C: no exception may leave it. Without the memory the write goes
    // through unbuffered; once reserved, the buffer never grows (it is flushed before it would).
    try {
      buffer.reserve(kWalWriteBufferBytes);
    } catch (const std::bad_alloc&) {
      return f.inner->pMethods->xWrite(f.inner, data, amount, offset);  // unbuffered, then
    }
  }
  const auto* bytes = static_cast<const char*>(data);
  buffer.insert(buffer.end(), bytes, bytes + size);
  if (is_commit_frame_header(data, amount, offset)) f.commit_page_at = offset + amount;
  if (offset == f.commit_page_at) {
    f.commit_page_at = -1;
    return flush(f);
  }
  return SQLITE_OK;
}

int wal_close(sqlite3_file* file) {
  WalFile& f = wal(file);
  const int flushed = flush(f);
  const int closed = f.inner->pMethods->xClose(f.inner);
  delete f.pending;
  f.pending = nullptr;
  return flushed != SQLITE_OK ? flushed : closed;
}

int wal_read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  WalFile& f = wal(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f.inner->pMethods->xRead(f.inner, data, amount, offset);
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  WalFile& f = wal(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f.inner->pMethods->xTruncate(f.inner, size);
}

int wal_sync(sqlite3_file* file, int flags) {
  WalFile& f = wal(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f.inner->pMethods->xSync(f.inner, flags);
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
  WalFile& f = wal(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f.inner->pMethods->xFileSize(f.inner, size);
}

int wal_lock(sqlite3_file* file, int level) {
  return wal(file).inner->pMethods->xLock(wal(file).inner, level);
}

int wal_unlock(sqlite3_file* file, int level) {
  return wal(file).inner->pMethods->xUnlock(wal(file).inner, level);
}

int wal_check_reserved_lock(sqlite3_file* file, int* out) {
  return wal(file).inner->pMethods->xCheckReservedLock(wal(file).inner, out);
}

int wal_file_control(sqlite3_file* file, int op, void* arg) {
  WalFile& f = wal(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f.inner->pMethods->xFileControl(f.inner, op, arg);
}

int wal_sector_size(sqlite3_file* file) {
  return wal(file).inner->pMethods->xSectorSize(wal(file).inner);
}

int wal_device_characteristics(sqlite3_file* file) {
  return wal(file).inner->pMethods->xDeviceCharacteristics(wal(file).inner);
}

// A WAL file has no shared memory of its own (the database file has it) and is not mapped;
// these pass on for completeness, as the platform's file answers them.
int wal_shm_map(sqlite3_file* file, int page, int page_size, int extend, void volatile** out) {
  sqlite3_file* inner = wal(file).inner;
  if (inner->pMethods->iVersion < 2 || inner->pMethods->xShmMap == nullptr) return SQLITE_IOERR;
  return inner->pMethods->xShmMap(inner, page, page_size, extend, out);
}

int wal_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  sqlite3_file* inner = wal(file).inner;
  if (inner->pMethods->iVersion < 2 || inner->pMethods->xShmLock == nullptr) return SQLITE_IOERR;
  return inner->pMethods->xShmLock(inner, offset, n, flags);
}

void wal_shm_barrier(sqlite3_file* file) {
  sqlite3_file* inner = wal(file).inner;
  if (inner->pMethods->iVersion >= 2 && inner->pMethods->xShmBarrier != nullptr)
    inner->pMethods->xShmBarrier(inner);
}

int wal_shm_unmap(sqlite3_file* file, int delete_flag) {
  sqlite3_file* inner = wal(file).inner;
  if (inner->pMethods->iVersion < 2 || inner->pMethods->xShmUnmap == nullptr) return SQLITE_OK;
  return inner->pMethods->xShmUnmap(inner, delete_flag);
}

int wal_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  WalFile& f = wal(file);
  *out = nullptr;
  if (f.inner->pMethods->iVersion < 3 || f.inner->pMethods->xFetch == nullptr) return SQLITE_OK;
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f.inner->pMethods->xFetch(f.inner, offset, amount, out);
}

int wal_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  sqlite3_file* inner = wal(file).inner;
  if (inner->pMethods->iVersion < 3 || inner->pMethods->xUnfetch == nullptr) return SQLITE_OK;
  return inner->pMethods->xUnfetch(inner, offset, page);
}

const sqlite3_io_methods kWalMethods = {
    3,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved_lock,
    wal_file_control,
    wal_sector_size,
    wal_device_characteristics,
    wal_shm_map,
    wal_shm_lock,
    wal_shm_barrier,
    wal_shm_unmap,
    wal_fetch,
    wal_unfetch,
};

// Every other file is the platform's own, opened in place: SQLite calls its methods directly.
int open_file(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
              int* out_flags) {
  sqlite3_vfs* base = base_vfs(vfs);
  if ((flags & SQLITE_OPEN_WAL) == 0) return base->xOpen(base, name, file, flags, out_flags);
  WalFile& f = wal(file);
  f.base.pMethods = nullptr;
  f.inner = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kInnerOffset);
  f.pending = nullptr;
  f.pending_at = 0;
  f.commit_page_at = -1;
  const int rc = base->xOpen(base, name, f.inner, flags, out_flags);
  if (rc != SQLITE_OK) {
    // The platform's xOpen may leave methods to close with even when it fails.
    if (f.inner->pMethods != nullptr) f.inner->pMethods->xClose(f.inner);
    return rc;
  }
  f.base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

int delete_file(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return base_vfs(vfs)->xDelete(base_vfs(vfs), name, sync_dir);
}
int access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return base_vfs(vfs)->xAccess(base_vfs(vfs), name, flags, out);
}
int full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return base_vfs(vfs)->xFullPathname(base_vfs(vfs), name, size, out);
}
void* dl_open(sqlite3_vfs* vfs, const char* name) {
  return base_vfs(vfs)->xDlOpen(base_vfs(vfs), name);
}
void dl_error(sqlite3_vfs* vfs, int size, char* out) {
  base_vfs(vfs)->xDlError(base_vfs(vfs), size, out);
}
void (*dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return base_vfs(vfs)->xDlSym(base_vfs(vfs), handle, symbol);
}
void dl_close(sqlite3_vfs* vfs, void* handle) { base_vfs(vfs)->xDlClose(base_vfs(vfs), handle); }
int randomness(sqlite3_vfs* vfs, int size, char* out) {
  return base_vfs(vfs)->xRandomness(base_vfs(vfs), size, out);
}
int sleep_for(sqlite3_vfs* vfs, int microseconds) {
  return base_vfs(vfs)->xSleep(base_vfs(vfs), microseconds);
}
int current_time(sqlite3_vfs* vfs, double* out) {
  return base_vfs(vfs)->xCurrentTime(base_vfs(vfs), out);
}
int last_error(sqlite3_vfs* vfs, int size, char* out) {
  return base_vfs(vfs)->xGetLastError(base_vfs(vfs), size, out);
}
int current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return base_vfs(vfs)->xCurrentTimeInt64(base_vfs(vfs), out);
}
int set_system_call(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
  return base_vfs(vfs)->xSetSystemCall(base_vfs(vfs), name, call);
}
sqlite3_syscall_ptr get_system_call(sqlite3_vfs* vfs, const char* name) {
  return base_vfs(vfs)->xGetSystemCall(base_vfs(vfs), name);
}
const char* next_system_call(sqlite3_vfs* vfs, const char* name) {
  return base_vfs(vfs)->xNextSystemCall(base_vfs(vfs), name);
}

int register_once() {
  sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
  if (base == nullptr) return SQLITE_ERROR;
  // Version 3 methods are all forwarded; a platform VFS older than that is used as it is.
  if (base->iVersion < 3) return SQLITE_ERROR;
  static sqlite3_vfs vfs = {
      3,
      static_cast<int>(kInnerOffset) + base->szOsFile,
      base->mxPathname,
      nullptr,
      "weft-wal-buffer",
      base,
      open_file,
      delete_file,
      access,
      full_pathname,
      dl_open,
      dl_error,
      dl_sym,
      dl_close,
      randomness,
      sleep_for,
      current_time,
      last_error,
      current_time_int64,
      set_system_call,
      get_system_call,
      next_system_call,
  };
  return sqlite3_vfs_register(&vfs, 1);
}

}  // namespace

int register_wal_write_buffer() {
  static const int registered = register_once();
  return registered;
}

}  // namespace weft::store::sqlite
