//! The `golive` binary: parse, call the library, map to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(golive::cli::main())
}

/// jemalloc: an N = 100 run spends about an eighth less time than with
/// glibc's malloc, whose per-thread heaps grew page by page (BENCHMARKS.md,
/// "Start-up and fan-out"). On Linux it is also the `malloc` of the C code
/// inside (aws-lc; Cargo.toml), so one allocator starts, not two.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read once when it starts: two arenas instead of four
/// per processor, and thread caches for blocks up to 4 KiB instead of 32 KiB.
/// A run starts fewer threads than that and allocates small blocks; the
/// defaults' set-up made a one-probe run about 4% slower than with glibc's
/// malloc, these make it no slower. `MALLOC_CONF` in the environment
/// (`_RJEM_MALLOC_CONF` where jemalloc is prefixed) still overrides them.
#[cfg(not(target_env = "msvc"))]
#[cfg_attr(target_os = "linux", unsafe(export_name = "malloc_conf"))]
#[cfg_attr(not(target_os = "linux"), unsafe(export_name = "_rjem_malloc_conf"))]
pub static MALLOC_CONF: &[u8] = b"narenas:2,tcache_max:4096\0";
