#pragma once
// A SQLite VFS over the platform's own that gathers the writes to a WAL file into few large
// system calls instead of two per page.
//
// SQLite appends a commit to the WAL as frames, each written with two pwrite calls (its
// 24-byte header, then the page), and syncs once at the end. At 2,000 workflows/s that was
// ~26,000 pwrite calls a second (the engine benchmark), the hub's most frequent system call.
// Here contiguous writes to a WAL file collect in a buffer that is written out in one call:
//   - when the frame that ends a commit has been written (its header carries the database size
//     after the commit, which no other frame does), so the commit is in the file before SQLite
//     makes it visible to readers (with synchronous=NORMAL nothing else would write it out);
//   - before a sync, a read, a truncation, a size query or a file control of that file, at a
//     write elsewhere in the file (SQLite rewrites a frame it wrote earlier in the same
//     transaction), when the buffer is full (kWalWriteBufferBytes) and at close.
// So a commit of 80 pages costs 6 calls instead of 160.
// What a crash loses from the buffer is what SQLite would have ignored anyway: frames of a
// transaction whose commit frame was never written. Every other file passes straight through.

#include <sqlite3.h>

#include <cstddef>

namespace weft::store::sqlite {

// The most a WAL file's buffer holds before it is written out. SQLite's unix VFS writes at most
// 128 KiB - 1 bytes per call (it masks a larger size), so a buffer stays below that: 15 frames
// of 8 KiB pages a call, against two calls per frame without the buffer.
inline constexpr std::size_t kWalWriteBufferBytes = 124 * 1024;

// Registers the VFS as the process's default, over the default one before it; once, whatever
// the number of calls. SQLITE_OK, or SQLite's error code if it could not be registered (the
// process then goes on with the platform's VFS).
int register_wal_write_buffer();

}  // namespace weft::store::sqlite
