//! Tests of goroutine stacks (`gpm_g::stack`) and stack overflow reporting
//! (`gpm_g::overflow`).
//!
//! The overflow tests re-execute this test binary with `--exact <test>` and the environment
//! variable `GPM_OVERFLOW_CHILD` set; the child does the dangerous thing (overflow a stack,
//! write through a null pointer) and the parent checks how it died and what it printed.
//!
//! The in-process tests that allocate many stacks or measure RSS take `SERIAL` so that they do
//! not disturb each other's numbers.

use std::hint::black_box;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output};
use std::sync::Mutex;

use corosensei::stack::Stack as _;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use gpm_g::overflow::{self, Running};
use gpm_g::stack::{self, Guard, Stack, StackPool, MIN_USABLE_SIZE};

const PAGE: usize = 4096;
const CHILD: &str = "GPM_OVERFLOW_CHILD";
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs this test binary's test `name` as a child process with `env` set.
fn run_child(name: &str, env: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", name, "--nocapture", "--test-threads=1"]);
    cmd.env(CHILD, "1").env_remove("GPM_STACK_GUARD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("spawn child test");
    eprintln!(
        "child {name}: {:?}\n--- child stderr ---\n{}--------------------",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A child about to crash on purpose should not leave a core file behind.
fn no_core_dumps() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads a valid rlimit and affects only this (child) process.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
}

/// Pages of resident memory of this process.
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * PAGE
}

fn vma_count() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("maps")
        .lines()
        .count()
}

/// Unbounded recursion with 1 KiB frames that the optimizer cannot turn into a loop.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let mut buf = [depth as u8; 1024];
    black_box(&mut buf);
    if black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(depth + 1).wrapping_add(buf[(depth % 1024) as usize] as u64)
}

// ---------------------------------------------------------------------------------------------
// Stacks and the pool
// ---------------------------------------------------------------------------------------------

#[test]
fn coroutine_runs_on_pooled_stack_and_stack_is_reused() {
    let _g = serial();
    let pool = StackPool::new(64 * 1024);
    assert_eq!(pool.size(), 64 * 1024);
    let stack = pool.get().unwrap();
    let (base, limit) = (stack.base().get(), stack.limit().get());
    assert_eq!(stack.usable_size(), 64 * 1024);

    let mut co = Coroutine::with_stack(stack, |y, x: u32| {
        let local = 0u8;
        let sp = black_box(&local) as *const u8 as usize;
        let again = y.suspend((x + 1, sp));
        again * 2
    });
    let CoroutineResult::Yield((two, sp)) = co.resume(1) else {
        panic!("expected a yield")
    };
    assert_eq!(two, 2);
    assert!(
        limit + PAGE <= sp && sp < base,
        "coroutine ran on {sp:#x}, not on the stack"
    );
    assert!(
        base - sp < PAGE,
        "a shallow coroutine stays in the top page"
    );
    assert_eq!(co.resume(10), CoroutineResult::Return(20));
    assert!(co.done());

    let stack = co.into_stack();
    assert!(stack.canary_intact());
    pool.put(stack);
    assert_eq!(pool.idle(), 1);
    let again = pool.get().unwrap();
    assert_eq!(again.base().get(), base, "the pooled stack is reused");
    assert_eq!(pool.idle(), 0);

    // And it runs a second coroutine just as well.
    let mut co = Coroutine::with_stack(again, |_: &Yielder<u32, ()>, x: u32| x + 1);
    assert_eq!(co.resume(41), CoroutineResult::Return(42));
    pool.put(co.into_stack());
}

#[test]
fn geometry_and_guard_kinds() {
    let _g = serial();
    for (asked, usable) in [
        (0, MIN_USABLE_SIZE),
        (1, MIN_USABLE_SIZE),
        (MIN_USABLE_SIZE, MIN_USABLE_SIZE),
        (MIN_USABLE_SIZE + 1, MIN_USABLE_SIZE + PAGE),
        (1 << 20, 1 << 20),
    ] {
        let s = Stack::new(asked).unwrap();
        assert_eq!(s.usable_size(), usable, "asked for {asked}");
        let (base, limit) = (s.base().get(), s.limit().get());
        assert_eq!(base % PAGE, 0, "base is page-aligned");
        assert_eq!(limit % PAGE, 0, "limit is page-aligned");
        assert_eq!(base - limit, usable + PAGE, "limit includes the guard page");
    }
    assert!(Stack::new(usize::MAX).is_err());

    // On this kernel (6.13+) the default is a real MADV_GUARD_INSTALL guard.
    let expect_default = if stack::madv_guard_supported() {
        Guard::Madvise
    } else {
        Guard::Mprotect
    };
    eprintln!(
        "madv_guard_supported = {}, guard_mode = {:?}, mprotect budget = {}",
        stack::madv_guard_supported(),
        stack::guard_mode(),
        stack::mprotect_guard_budget()
    );
    if std::env::var_os("GPM_STACK_GUARD").is_none() {
        assert_eq!(stack::guard_mode(), expect_default);
        assert_eq!(Stack::new(0).unwrap().guard(), expect_default);
    }

    let live = stack::mprotect_guards_live();
    for want in [Guard::Madvise, Guard::Mprotect] {
        let s = Stack::with_guard(64 * 1024, want).unwrap();
        if want == Guard::Madvise && !stack::madv_guard_supported() {
            assert_eq!(s.guard(), Guard::Mprotect);
        } else {
            assert_eq!(s.guard(), want);
        }
        let limit = s.limit().get();
        assert_eq!(s.guard_range(), Some((limit, limit + PAGE)));
        assert!(s.canary_intact());
        assert_eq!(s.canary_addr(), None);
        if s.guard() == Guard::Mprotect {
            assert_eq!(stack::mprotect_guards_live(), live + 1);
        }
    }
    assert_eq!(
        stack::mprotect_guards_live(),
        live,
        "dropping returns the budget"
    );

    let c = Stack::with_guard(64 * 1024, Guard::Canary).unwrap();
    assert_eq!(c.guard(), Guard::Canary);
    assert_eq!(c.guard_range(), None);
    assert_eq!(c.canary_addr(), Some(c.limit().get() + PAGE));
    assert!(c.canary_intact());
}

#[test]
fn pool_batches_and_idle_cap() {
    let _g = serial();
    let pool = StackPool::with_max_idle(16 * 1024, 40);
    let mut batch: Vec<Stack> = (0..32).map(|_| pool.get().unwrap()).collect();
    assert_eq!(
        pool.get_batch(32, &mut Vec::new()),
        0,
        "get_batch never allocates"
    );
    pool.put_batch(&mut batch);
    assert!(batch.is_empty());
    assert_eq!(pool.idle(), 32);

    let mut more: Vec<Stack> = (0..32).map(|_| Stack::new(16 * 1024).unwrap()).collect();
    pool.put_batch(&mut more);
    assert!(more.is_empty());
    assert_eq!(pool.idle(), 40, "the rest beyond the cap is freed");
    pool.put(Stack::new(16 * 1024).unwrap());
    assert_eq!(pool.idle(), 40);

    // A stack of another size is not kept.
    let small = StackPool::new(16 * 1024);
    small.put(Stack::new(64 * 1024).unwrap());
    assert_eq!(small.idle(), 0);

    let mut out = Vec::new();
    assert_eq!(pool.get_batch(32, &mut out), 32);
    assert_eq!(out.len(), 32);
    assert_eq!(pool.idle(), 8);
    assert!(out.iter().all(|s| s.usable_size() == 16 * 1024));
    assert_eq!(pool.trim(), 8);
    assert_eq!(pool.idle(), 0);
}

/// `trim_unused` frees the idle stacks that no taker reached since its last call (the
/// bottom of the pile) and keeps those taken meanwhile, however briefly.
#[test]
fn trim_unused_frees_the_stacks_nobody_took_since_the_last_trim() {
    let _g = serial();
    let pool = StackPool::new(16 * 1024);
    let mut stacks: Vec<Stack> = (0..10).map(|_| pool.get().unwrap()).collect();
    pool.put_batch(&mut stacks);
    assert_eq!(pool.idle(), 10);
    assert_eq!(
        pool.trim_unused(usize::MAX),
        0,
        "the first call only starts counting"
    );
    // Three taken and given back: they are on top again, and were in use this period.
    let taken: Vec<Stack> = (0..3).map(|_| pool.get().unwrap()).collect();
    let mut used: Vec<usize> = taken.iter().map(|s| s.base().get()).collect();
    taken.into_iter().for_each(|s| pool.put(s));
    assert_eq!(
        pool.trim_unused(5),
        5,
        "five of the seven nobody took, as asked"
    );
    assert_eq!(pool.idle(), 5);
    let mut kept: Vec<Stack> = Vec::new();
    assert_eq!(pool.get_batch(3, &mut kept), 3);
    let mut kept_bases: Vec<usize> = kept.iter().map(|s| s.base().get()).collect();
    kept_bases.sort_unstable();
    used.sort_unstable();
    assert_eq!(kept_bases, used, "the stacks used this period stay on top");
    pool.put_batch(&mut kept);
    assert_eq!(
        pool.trim_unused(usize::MAX),
        2,
        "the other two, still unused"
    );
    assert_eq!(pool.idle(), 3);
    assert_eq!(
        pool.trim_unused(usize::MAX),
        3,
        "idle for a whole period now"
    );
    assert_eq!(pool.idle(), 0);
    assert_eq!(pool.trim_unused(usize::MAX), 0);
}

/// Whether this process's pools carve their stacks out of chunks (the default guard is
/// `MADV_GUARD_INSTALL`).
fn chunks_apply() -> bool {
    stack::guard_mode() == Guard::Madvise
}

/// Writes `v` to the top word of `s` (its first page touched) and returns its address.
fn poke_top(s: &Stack, v: u64) -> usize {
    let addr = s.base().get() - 8;
    // SAFETY: the top word of the usable range of a stack we own and no coroutine runs on.
    unsafe { (addr as *mut u64).write_volatile(v) };
    addr
}

fn peek(addr: usize) -> u64 {
    // SAFETY: callers pass the top word of a live stack they own (see `poke_top`).
    unsafe { (addr as *const u64).read_volatile() }
}

#[test]
fn pool_carves_chunks_and_reuses_freed_slots() {
    let _g = serial();
    if !chunks_apply() {
        eprintln!(
            "skipped: stacks are not chunked here (guard mode {:?})",
            stack::guard_mode()
        );
        return;
    }
    const SLOTS: usize = 64; // 64 KiB stacks: 64 slots per chunk
    let chunks0 = stack::mapped_chunks();
    // Keeps no idle stacks: every stack given back is freed to its chunk.
    let pool = StackPool::with_max_idle(64 * 1024, 0);
    let stacks: Vec<Stack> = (0..100).map(|_| pool.get().unwrap()).collect();
    assert_eq!(
        stack::mapped_chunks(),
        chunks0 + 2,
        "100 stacks, two chunks"
    );
    for s in &stacks {
        assert!(s.is_chunked());
        assert_eq!(s.guard(), Guard::Madvise);
        assert_eq!(s.usable_size(), 64 * 1024);
        let limit = s.limit().get();
        assert_eq!(s.guard_range(), Some((limit, limit + PAGE)));
    }
    // Slots of one chunk lie side by side: each stack's guard right above the previous base.
    let adjacent = stacks
        .windows(2)
        .filter(|w| w[1].limit().get() == w[0].base().get())
        .count();
    assert!(
        adjacent >= 100 - 100 / SLOTS - 1,
        "{adjacent} adjacent pairs"
    );

    // Run a coroutine on each; then dirty the top word and give them all back.
    let mut addrs = Vec::new();
    for (i, s) in stacks.into_iter().enumerate() {
        let mut co = Coroutine::with_stack(s, move |_: &Yielder<(), ()>, ()| black_box(i));
        assert_eq!(co.resume(()), CoroutineResult::Return(i));
        let s = co.into_stack();
        addrs.push(poke_top(&s, 0xdead_beef));
        pool.put(s);
    }
    assert_eq!(pool.idle(), 0);
    assert_eq!(
        stack::mapped_chunks(),
        chunks0 + 2,
        "free chunks stay as spares (two)"
    );

    // The same slots come back, their pages given back in between (they read as zero).
    let again: Vec<Stack> = (0..100).map(|_| pool.get().unwrap()).collect();
    assert_eq!(stack::mapped_chunks(), chunks0 + 2, "no new chunk");
    let mut old = addrs.clone();
    let mut new: Vec<usize> = again.iter().map(|s| s.base().get() - 8).collect();
    old.sort_unstable();
    new.sort_unstable();
    assert_eq!(
        old, new,
        "freed slots are reused before a new chunk is mapped"
    );
    assert!(
        new.iter().all(|&a| peek(a) == 0),
        "a freed slot's pages were given back"
    );
    drop(again);
    drop(pool);
    assert_eq!(
        stack::mapped_chunks(),
        chunks0,
        "pool and stacks gone: chunks unmapped"
    );
}

#[test]
fn free_chunks_beyond_the_spares_are_unmapped() {
    let _g = serial();
    if !chunks_apply() {
        eprintln!("skipped: stacks are not chunked here");
        return;
    }
    const SLOTS: usize = 64;
    let chunks0 = stack::mapped_chunks();
    let pool = StackPool::with_max_idle(64 * 1024, 0);
    let mut stacks: Vec<Stack> = (0..5 * SLOTS).map(|_| pool.get().unwrap()).collect();
    assert_eq!(stack::mapped_chunks(), chunks0 + 5);
    // One stack of the third chunk stays alive: that chunk stays mapped however many are free.
    let keep = stacks.swap_remove(2 * SLOTS + 7);
    // Given back one by one (put) and as a batch (put_batch beyond the idle cap).
    let mut half = stacks.split_off(stacks.len() / 2);
    for s in stacks {
        pool.put(s);
    }
    pool.put_batch(&mut half);
    assert!(half.is_empty());
    assert_eq!(
        stack::mapped_chunks(),
        chunks0 + 1 + 2,
        "the chunk in use plus two spares"
    );
    // A stack outlives its pool: it still works, and returns its slot when dropped.
    drop(pool);
    assert_eq!(stack::mapped_chunks(), chunks0 + 3);
    let mut co = Coroutine::with_stack(keep, |_: &Yielder<u32, ()>, x: u32| x + 1);
    assert_eq!(co.resume(1), CoroutineResult::Return(2));
    drop(co.into_stack());
    assert_eq!(stack::mapped_chunks(), chunks0, "all chunks unmapped");
}

#[test]
fn pool_trim_and_drop_free_chunked_stacks() {
    let _g = serial();
    let chunks0 = stack::mapped_chunks();
    let pool = StackPool::new(16 * 1024);
    // Keep the first stack of every chunk, so that no chunk becomes free.
    let mut held = Vec::new();
    let mut rest = Vec::new();
    for i in 0..3000 {
        let s = pool.get().unwrap();
        if i % 64 == 0 {
            held.push(s);
        } else {
            rest.push(s);
        }
    }
    let tops: Vec<usize> = rest.iter().map(|s| poke_top(s, 7)).collect();
    let n = rest.len();
    pool.put_batch(&mut rest);
    assert_eq!(pool.idle(), 1024, "the default idle cap; the rest is freed");
    assert_eq!(pool.trim(), 1024);
    let again: Vec<Stack> = (0..n).map(|_| pool.get().unwrap()).collect();
    if chunks_apply() {
        assert_eq!(stack::mapped_chunks(), chunks0 + 3000_usize.div_ceil(64));
        let mut a: Vec<usize> = again.iter().map(|s| s.base().get() - 8).collect();
        a.sort_unstable();
        let mut t = tops.clone();
        t.sort_unstable();
        assert_eq!(a, t, "the same slots");
        assert!(a.iter().all(|&a| peek(a) == 0), "pages given back");
    }
    let mut again = again;
    pool.put_batch(&mut again);
    drop(held);
    drop(pool); // frees the idle stacks, and with them every chunk
    assert_eq!(stack::mapped_chunks(), chunks0);
}

#[test]
fn hundred_thousand_live_pooled_stacks() {
    let _g = serial();
    let pool = StackPool::new(256 * 1024);
    let vmas0 = vma_count();
    let kinds = hundred_thousand("pooled", || pool.get().unwrap());
    if chunks_apply() {
        assert!(kinds.iter().all(|g| *g == Guard::Madvise));
        let vmas = vma_count();
        eprintln!("pooled: VMAs {vmas0} -> {vmas} after the stacks are gone");
    }
}

/// Allocates 100,000 stacks with `make`, runs a tiny coroutine on each (which touches its top
/// page), keeps them all alive, and reports RSS and VMAs per stack. Callers hold `SERIAL`.
fn hundred_thousand(label: &str, make: impl Fn() -> Stack) -> Vec<Guard> {
    const N: usize = 100_000;
    let (rss0, vmas0) = (rss_bytes(), vma_count());
    let mut stacks = Vec::with_capacity(N); // its 24 bytes per stack count, too
    for i in 0..N {
        let mut co = Coroutine::with_stack(make(), move |_: &Yielder<(), ()>, ()| black_box(i));
        assert_eq!(co.resume(()), CoroutineResult::Return(i));
        stacks.push(co.into_stack());
    }
    let (rss1, vmas1) = (rss_bytes(), vma_count());
    let per_stack = (rss1 - rss0) as f64 / N as f64 / 1024.0;
    eprintln!(
        "{label}: {N} live stacks of {} KiB: RSS +{} KiB ({per_stack:.2} KiB/stack), VMAs {vmas0} -> \
         {vmas1} (max_map_count {})",
        stacks[0].usable_size() / 1024,
        (rss1 - rss0) / 1024,
        std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .unwrap_or_default()
            .trim()
    );
    let kinds: Vec<Guard> = stacks.iter().map(Stack::guard).collect();
    assert!(stacks.iter().all(Stack::canary_intact));
    let limit = if kinds.contains(&Guard::Canary) {
        12.0 // the canary word touches the lowest usable page too
    } else {
        8.0
    };
    assert!(per_stack < limit, "{per_stack:.2} KiB per stack");
    drop(stacks);
    kinds
}

#[test]
fn hundred_thousand_live_stacks_default_guard() {
    let _g = serial();
    let kinds = hundred_thousand("default", || Stack::new(64 * 1024).unwrap());
    if stack::madv_guard_supported() && std::env::var_os("GPM_STACK_GUARD").is_none() {
        assert!(
            kinds.iter().all(|g| *g == Guard::Madvise),
            "every stack has a real guard"
        );
    }
}

#[test]
fn hundred_thousand_live_stacks_mprotect_then_canary() {
    let _g = serial();
    let before = stack::mprotect_guards_live();
    let budget = stack::mprotect_guard_budget();
    assert!(budget > 0 && budget <= 10_000);
    let kinds = hundred_thousand("mprotect", || {
        Stack::with_guard(64 * 1024, Guard::Mprotect).unwrap()
    });
    let guarded = kinds.iter().filter(|g| **g == Guard::Mprotect).count();
    assert_eq!(guarded, budget - before, "mprotect guards up to the budget");
    assert!(
        kinds[guarded..].iter().all(|g| *g == Guard::Canary),
        "canaries beyond it"
    );
    assert_eq!(
        stack::mprotect_guards_live(),
        before,
        "all returned on drop"
    );
    let again = Stack::with_guard(16 * 1024, Guard::Mprotect).unwrap();
    assert_eq!(again.guard(), Guard::Mprotect);
}

#[test]
fn hundred_thousand_live_stacks_canary() {
    let _g = serial();
    let kinds = hundred_thousand("canary", || {
        Stack::with_guard(64 * 1024, Guard::Canary).unwrap()
    });
    assert!(kinds.iter().all(|g| *g == Guard::Canary));
}

#[test]
fn canary_detects_overwrite() {
    let _g = serial();
    let pool = StackPool::new(16 * 1024);
    let mut s = Stack::with_guard(16 * 1024, Guard::Canary).unwrap();
    let addr = s.canary_addr().expect("canary stack");
    assert_eq!(addr, s.limit().get() + PAGE, "lowest usable word");
    assert!(s.canary_intact());
    // SAFETY: `addr` is the canary of `s`, which is alive and runs no coroutine.
    assert!(unsafe { stack::canary_ok(addr) });
    s.release_unused().unwrap();
    assert!(s.canary_intact(), "release_unused keeps the canary");

    // Scribble over the canary, as a goroutine running past the end of its stack would.
    // SAFETY: the canary word is mapped read-write memory owned by `s`, which is alive, and no
    // coroutine runs on it.
    unsafe { (addr as *mut u64).write_volatile(0x5555_5555_5555_5555) };
    assert!(!s.canary_intact());
    // SAFETY: as above.
    assert!(!unsafe { stack::canary_ok(addr) });
    assert!(
        s.release_unused().is_err(),
        "a broken canary is not papered over"
    );
    pool.put(s);
    assert_eq!(pool.idle(), 0, "a stack with a broken canary is not reused");
}

#[test]
fn release_unused_returns_memory_and_keeps_stack_usable() {
    let _g = serial();
    let s = Stack::new(1 << 20).unwrap();
    let rss0 = rss_bytes();
    let mut co = Coroutine::with_stack(s, |_: &Yielder<(), ()>, ()| {
        // ~512 KiB deep.
        fn down(n: u32) -> u32 {
            let mut buf = [n as u8; 1024];
            black_box(&mut buf);
            if n == 0 {
                0
            } else {
                down(n - 1).wrapping_add(buf[3] as u32)
            }
        }
        down(black_box(500))
    });
    assert!(matches!(co.resume(()), CoroutineResult::Return(_)));
    let mut s = co.into_stack();
    let rss1 = rss_bytes();
    s.release_unused().unwrap();
    let rss2 = rss_bytes();
    eprintln!(
        "deep run: RSS +{} KiB, after release_unused -{} KiB",
        (rss1 - rss0) / 1024,
        (rss1 - rss2) / 1024
    );
    assert!(rss1 - rss2 >= 400 * 1024, "the deep pages went back");
    let mut co = Coroutine::with_stack(s, |_: &Yielder<u32, ()>, x: u32| x + 1);
    assert_eq!(co.resume(1), CoroutineResult::Return(2));
}

// ---------------------------------------------------------------------------------------------
// Overflow reporting (child processes)
// ---------------------------------------------------------------------------------------------

/// Child side: overflow a coroutine stack with a real guard page while registered as
/// goroutine `id`. Never returns normally.
fn overflow_child(id: u64, name: Option<&'static str>) {
    no_core_dumps();
    overflow::install();
    overflow::ensure_altstack();
    // Go through the pool and release_unused first: guards must survive both.
    let pool = StackPool::new(64 * 1024);
    // GPM_HOLD_STACKS=n: overflow the stack carved after n others (an inner slot of a chunk).
    let held: Vec<Stack> = (0..std::env::var("GPM_HOLD_STACKS").map_or(0, |n| n.parse().unwrap()))
        .map(|_| pool.get().unwrap())
        .collect();
    let mut stack = pool.get().unwrap();
    if stack::guard_mode() == Guard::Madvise {
        assert!(
            stack.is_chunked(),
            "pooled madvise-guarded stacks come from chunks"
        );
        if let Some(below) = held.last() {
            assert_eq!(below.base().get(), stack.limit().get(), "the slot below");
        }
    }
    stack.release_unused().unwrap();
    pool.put(stack);
    let stack = pool.get().unwrap();
    if let Ok(want) = std::env::var("GPM_EXPECT_GUARD") {
        assert_eq!(format!("{:?}", stack.guard()), want);
    }
    assert!(stack.guard_range().is_some(), "a real guard page");
    let running: &'static Running = Box::leak(Box::new(Running::new(id, name.map(Into::into))));
    running.set_stack(&stack);
    let mut co = Coroutine::with_stack(stack, |_: &Yielder<(), ()>, ()| recurse(0));
    black_box(&held);
    overflow::set_running(running);
    let r = co.resume(());
    overflow::set_running(std::ptr::null());
    panic!("unbounded recursion returned: {r:?}");
}

fn assert_overflow_report(out: &Output, line: &str) {
    let err = stderr(out);
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGABRT),
        "child must abort, got {:?}",
        out.status
    );
    assert!(err.contains(line), "missing {line:?} in child stderr");
    assert!(err.contains("fatal runtime error: stack overflow"));
}

#[test]
fn overflow_on_default_guard_is_reported() {
    if is_child() {
        return overflow_child(7, Some("deep"));
    }
    let expect = if stack::madv_guard_supported() {
        "Madvise"
    } else {
        "Mprotect"
    };
    let out = run_child(
        "overflow_on_default_guard_is_reported",
        &[("GPM_EXPECT_GUARD", expect)],
    );
    assert_overflow_report(&out, "goroutine 7 (deep) has overflowed its stack");
}

#[test]
fn overflow_on_inner_chunk_slot_is_reported() {
    if is_child() {
        return overflow_child(9, Some("inner"));
    }
    let expect = if stack::madv_guard_supported() {
        "Madvise"
    } else {
        "Mprotect"
    };
    let out = run_child(
        "overflow_on_inner_chunk_slot_is_reported",
        &[("GPM_EXPECT_GUARD", expect), ("GPM_HOLD_STACKS", "5")],
    );
    assert_overflow_report(&out, "goroutine 9 (inner) has overflowed its stack");
}

#[test]
fn overflow_on_mprotect_guard_is_reported() {
    if is_child() {
        return overflow_child(7, Some("deep"));
    }
    let out = run_child(
        "overflow_on_mprotect_guard_is_reported",
        &[
            ("GPM_STACK_GUARD", "mprotect"),
            ("GPM_EXPECT_GUARD", "Mprotect"),
        ],
    );
    assert_overflow_report(&out, "goroutine 7 (deep) has overflowed its stack");
}

#[test]
fn overflow_of_unnamed_goroutine_is_reported() {
    if is_child() {
        return overflow_child(18_446_744_073_709_551_615, None);
    }
    let out = run_child("overflow_of_unnamed_goroutine_is_reported", &[]);
    assert_overflow_report(
        &out,
        "goroutine 18446744073709551615 (<unnamed>) has overflowed its stack",
    );
}

#[test]
fn overflow_on_thread_without_altstack_is_reported() {
    if is_child() {
        // Take away the alternate signal stack std gave this thread: `ensure_altstack` (called
        // by `install` and by `overflow_child`) must make one, or the handler could not run.
        let off = libc::stack_t {
            ss_sp: std::ptr::null_mut(),
            ss_flags: libc::SS_DISABLE,
            ss_size: 0,
        };
        // SAFETY: disabling the alternate signal stack has no memory preconditions.
        assert_eq!(unsafe { libc::sigaltstack(&off, std::ptr::null_mut()) }, 0);
        return overflow_child(3, Some("no altstack"));
    }
    let out = run_child("overflow_on_thread_without_altstack_is_reported", &[]);
    assert_overflow_report(&out, "goroutine 3 (no altstack) has overflowed its stack");
}

#[test]
fn overflow_past_canary_is_reported_at_switch_out() {
    if is_child() {
        no_core_dumps();
        overflow::install();
        let stack = Stack::with_guard(16 * 1024, Guard::Canary).unwrap();
        let canary = stack.canary_addr().expect("canary stack");
        // Recurse until close to the canary, then let one big frame run over it into the red
        // zone below (all memory of this stack's own mapping), and switch out.
        let mut co = Coroutine::with_stack(stack, move |y, ()| {
            #[inline(never)]
            fn smash() {
                let mut big = [0x55u8; 4096];
                black_box(&mut big);
            }
            fn down(canary: usize, y: &Yielder<(), ()>) -> u64 {
                let mut buf = [7u8; 1024];
                black_box(&mut buf);
                let sp = buf.as_ptr() as usize;
                if sp < canary + 3072 {
                    // SAFETY: the canary of this coroutine's own live stack, read on the
                    // thread that runs it.
                    assert!(unsafe { stack::canary_ok(canary) }, "not there yet");
                    smash();
                    y.suspend(());
                    return 0;
                }
                down(canary, y).wrapping_add(buf[1] as u64)
            }
            down(canary, y)
        });
        let r = co.resume(());
        assert!(matches!(r, CoroutineResult::Yield(())));
        // The scheduler's check at switch out.
        // SAFETY: the stack is alive (owned by `co`) and its coroutine is suspended.
        if !unsafe { stack::canary_ok(canary) } {
            overflow::report_overflow(9, Some("canary"));
        }
        panic!("the canary survived");
    }
    let out = run_child("overflow_past_canary_is_reported_at_switch_out", &[]);
    assert_overflow_report(&out, "goroutine 9 (canary) has overflowed its stack");
}

#[test]
fn unrelated_segv_chains_to_std_handler() {
    if is_child() {
        no_core_dumps();
        // SAFETY: all-zero is a valid sigaction, filled in by the query.
        let mut prev: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: queries the current action into a valid out-pointer.
        let rc = unsafe { libc::sigaction(libc::SIGSEGV, std::ptr::null(), &mut prev) };
        assert_eq!(rc, 0);
        assert_ne!(
            prev.sa_sigaction,
            libc::SIG_DFL,
            "std's handler should be installed"
        );
        overflow::install();
        // A goroutine is "running" with a real guard page; the fault is elsewhere.
        let stack = Stack::new(16 * 1024).unwrap();
        assert!(stack.guard_range().is_some());
        let running = Running::new(5, Some("x".into()));
        running.set_stack(&stack);
        overflow::set_running(&running);
        // SAFETY: none: this faults on purpose, in a child process that is meant to die.
        unsafe { black_box(std::ptr::null_mut::<u8>()).write_volatile(1) };
        panic!("null write did not fault");
    }
    let out = run_child("unrelated_segv_chains_to_std_handler", &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{:?}", out.status);
    assert!(!stderr(&out).contains("goroutine"));
}

#[test]
fn unrelated_segv_with_default_previous_action_kills() {
    if is_child() {
        no_core_dumps();
        // Make the previous action SIG_DFL instead of std's handler.
        // SAFETY: installs SIG_DFL, a valid action, for SIGSEGV.
        unsafe { libc::signal(libc::SIGSEGV, libc::SIG_DFL) };
        overflow::install();
        // SAFETY: none: this faults on purpose, in a child process that is meant to die.
        unsafe { black_box(std::ptr::null_mut::<u8>()).write_volatile(1) };
        panic!("null write did not fault");
    }
    let out = run_child("unrelated_segv_with_default_previous_action_kills", &[]);
    assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{:?}", out.status);
    assert!(!stderr(&out).contains("goroutine"));
}

#[test]
fn unrelated_segv_chains_to_plain_previous_handler() {
    extern "C" fn plain(sig: libc::c_int) {
        let msg = b"plain handler ran\n";
        // SAFETY: write and _exit are async-signal-safe; `msg` is a live buffer.
        unsafe {
            libc::write(libc::STDERR_FILENO, msg.as_ptr().cast(), msg.len());
            libc::_exit(40 + sig);
        }
    }
    if is_child() {
        no_core_dumps();
        // A previous handler without SA_SIGINFO: it must be called as `void (*)(int)`.
        // SAFETY: `plain` only does async-signal-safe things.
        unsafe { libc::signal(libc::SIGSEGV, plain as *const () as libc::sighandler_t) };
        overflow::install();
        // SAFETY: none: this faults on purpose, in a child process that is meant to die.
        unsafe { black_box(std::ptr::null_mut::<u8>()).write_volatile(1) };
        panic!("null write did not fault");
    }
    let out = run_child("unrelated_segv_chains_to_plain_previous_handler", &[]);
    assert_eq!(
        out.status.code(),
        Some(40 + libc::SIGSEGV),
        "{:?}",
        out.status
    );
    assert!(stderr(&out).contains("plain handler ran"));
    assert!(!stderr(&out).contains("goroutine"));
}

#[test]
fn thread_stack_overflow_is_still_reported_by_std() {
    if is_child() {
        no_core_dumps();
        overflow::install();
        // Not on a goroutine: std's handler (chained) reports it as a thread overflow.
        let t = std::thread::Builder::new()
            .name("plain".into())
            .stack_size(256 * 1024)
            .spawn(|| recurse(0))
            .unwrap();
        let r = t.join();
        panic!("thread overflow returned: {r:?}");
    }
    let out = run_child("thread_stack_overflow_is_still_reported_by_std", &[]);
    let err = stderr(&out);
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{:?}", out.status);
    // std prints `thread 'plain' has overflowed its stack`, newer releases with the thread id.
    assert!(err.contains("thread 'plain'") && err.contains("has overflowed its stack"));
    assert!(!err.contains("goroutine"));
}

#[test]
fn altstack_is_made_once_and_freed_at_thread_exit() {
    if is_child() {
        overflow::install();
        let current = || {
            // SAFETY: all-zero is a valid stack_t, filled in by the query.
            let mut st: libc::stack_t = unsafe { std::mem::zeroed() };
            // SAFETY: queries into a valid out-pointer.
            assert_eq!(unsafe { libc::sigaltstack(std::ptr::null(), &mut st) }, 0);
            st
        };
        let sp = std::thread::spawn(move || {
            let off = libc::stack_t {
                ss_sp: std::ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            // SAFETY: disabling the alternate signal stack has no memory preconditions.
            assert_eq!(unsafe { libc::sigaltstack(&off, std::ptr::null_mut()) }, 0);
            overflow::ensure_altstack();
            let st = current();
            assert_eq!(st.ss_flags & libc::SS_DISABLE, 0);
            assert!(st.ss_size >= 64 * 1024);
            overflow::ensure_altstack(); // no-op now
            assert_eq!(current().ss_sp, st.ss_sp);
            st.ss_sp as usize
        })
        .join()
        .unwrap();
        // Freed by the thread's exit: no mapping contains it any more.
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let mapped = maps.lines().any(|l| {
            let range = l.split_whitespace().next().unwrap();
            let (a, b) = range.split_once('-').unwrap();
            let a = usize::from_str_radix(a, 16).unwrap();
            let b = usize::from_str_radix(b, 16).unwrap();
            a <= sp && sp < b
        });
        assert!(!mapped, "altstack {sp:#x} still mapped after thread exit");
        return;
    }
    let out = run_child("altstack_is_made_once_and_freed_at_thread_exit", &[]);
    assert!(out.status.success(), "{:?}", out.status);
}
