//! loom model of a P's `runnext` slot (`gpm_p::p`): its holder fills and empties it while a
//! thief on another M takes it in its last steal pass.
//!
//! The holder holds the P's lease, and fills and empties the slot inside a lease section
//! with a plain load and store while no thief's flag is up; the thief swaps only when the
//! holder is outside every section. Each model checks that every G pushed comes out exactly
//! once (run by the holder, left queued on its P, or stolen) and that a G's contents were
//! published before whoever took it read them (loom reports a data race on the body cell
//! otherwise). The holder's drain at the end, as at shutdown, swaps.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gpm-p --test loom_runnext --release`
#![cfg(loom)]

use std::sync::Arc;
use std::time::Instant;

use gpm_g::{Entry, GId, GRef, Sched, TimerAction, G};
use gpm_p::lease::{Holder, Tenure};
use gpm_p::{AllP, Next, PRef, PShared};
use loom::cell::UnsafeCell;
use loom::thread;

/// What the model's G carries beside its record (the model only moves G records around): a
/// cell the holder fills in before pushing the G.
struct Body(UnsafeCell<u64>);

/// The G's entry, which never runs either; the model keeps each G's body beside it, by id.
struct NoEntry;

impl Entry for NoEntry {
    fn run(&self) {}
    fn cancel(&self) {}
}

// SAFETY: the cell is written before the G is pushed and read after it was taken, by
// whoever holds the G: the model checks exactly that.
unsafe impl Sync for Body {}

/// A scheduler that no G in this model ever reaches.
struct NoSched;

// SAFETY: `enqueue` is never called (it would panic before touching anything).
unsafe impl Sched for NoSched {
    fn enqueue(&self, _: GRef, _: bool) {
        unreachable!("the model readies nothing");
    }
    fn add_timer(&self, _: Instant, _: TimerAction) {
        unreachable!("the model arms no timer");
    }
}

/// A G with id `id` and its body, whose cell the holder fills in just before pushing it.
fn g(id: u64) -> (GRef, Arc<Body>) {
    let body = Arc::new(Body(UnsafeCell::new(0)));
    let (g, _) = G::new(GId(id), NoEntry, None, 16 * 1024, Arc::new(NoSched));
    (g, body)
}

/// The holder writes the G's id into its body cell: after the thief started, so only the
/// push's publication orders this write before the thief's read.
fn fill(body: &Body, id: u64) {
    // SAFETY: nobody else can reach the body before the G is pushed.
    body.0.with_mut(|v| unsafe { *v = id });
}

/// Reads the body cell of `g` (a G of this model), as whoever now holds it.
fn read(bodies: &[Arc<Body>], g: &GRef) -> u64 {
    let b = &bodies[(g.id().0 - 1) as usize];
    // SAFETY: the caller holds `g`, taken from a queue or the slot; loom checks that the
    // write in `g` happens-before this read.
    b.0.with(|v| unsafe { *v })
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    gpm_g::loom_model::check(3, f);
}

/// What each model starts from: two Ps (the holder's, held inside a lease section, and the
/// thief's on another M), the holder's shared half as the thief sees it, and two Gs with
/// their bodies.
struct Model {
    /// Owns the Ps: it must outlive the handles (each model keeps `m` to its end).
    _all: AllP,
    holder: PRef,
    /// The holding M's flag and its tenure of the P.
    m: Holder,
    tenure: Tenure,
    thief: PRef,
    victim: Arc<PShared>,
    g1: GRef,
    g2: GRef,
    bodies: Arc<Vec<Arc<Body>>>,
}

impl Model {
    fn new() -> Model {
        let all = AllP::new(2);
        // SAFETY: the initial, only handles.
        let (holder, thief) = unsafe { (all.handle(0), all.handle(1)) };
        let victim = holder.shared().clone();
        let m = Holder::new();
        let tenure = victim.lease().hold(&m);
        let (g1, b1) = g(1);
        let (g2, b2) = g(2);
        Model {
            _all: all,
            holder,
            m,
            tenure,
            thief,
            victim,
            g1,
            g2,
            bodies: Arc::new(vec![b1, b2]),
        }
    }
}

/// The holder pushes two Gs into `runnext` (the second displaces the first to the local
/// queue, unless the thief took it) while the thief steals with `take_runnext`.
#[test]
fn runnext_fill_and_displace_race_a_thief() {
    model(|| {
        let m = Model::new();
        let (thief, victim, bs) = (m.thief, m.victim, m.bodies.clone());
        let t = thread::spawn(move || {
            let mut got: Vec<u64> = Vec::new();
            if let Some(g) = victim.steal_into(&thief, true) {
                got.push(read(&bs, &g));
            }
            got.extend(thief.drain().iter().map(|g| read(&bs, g)));
            got
        });

        fill(&m.bodies[0], 1);
        m.holder.push_next(m.g1);
        fill(&m.bodies[1], 2);
        m.holder.push_next(m.g2);
        let mut seen: Vec<u64> = m
            .holder
            .drain()
            .iter()
            .map(|g| read(&m.bodies, g))
            .collect();
        seen.extend(t.join().unwrap());
        seen.sort_unstable();
        assert_eq!(seen, [1, 2], "every G comes out exactly once");
    });
}

/// The thief's M, on a thread of its own: one steal from `victim` with `take_runnext`,
/// returning the body of the G it got, if any.
fn steal_once(
    thief: PRef,
    victim: Arc<PShared>,
    bodies: Arc<Vec<Arc<Body>>>,
) -> thread::JoinHandle<Vec<u64>> {
    thread::spawn(move || {
        victim
            .steal_into(&thief, true)
            .map(|g| read(&bodies, &g))
            .into_iter()
            .collect()
    })
}

/// The holder fills `runnext` and runs it itself (`next`) while the thief steals: exactly one
/// of them gets the G, and a second fill after that finds the slot as the race left it.
#[test]
fn runnext_take_races_a_thief() {
    model(|| {
        let m = Model::new();
        let t = steal_once(m.thief, m.victim, m.bodies.clone());

        fill(&m.bodies[0], 1);
        m.holder.push_next(m.g1);
        let mut seen: Vec<u64> = Vec::new();
        if let Some((g, next)) = m.holder.next() {
            assert_eq!(
                next,
                Next::Inherit,
                "a G from runnext inherits the time slice"
            );
            seen.push(read(&m.bodies, &g));
        }
        let ran = seen.clone();
        fill(&m.bodies[1], 2);
        m.holder.push_next(m.g2);
        seen.extend(m.holder.drain().iter().map(|g| read(&m.bodies, g)));
        let drained = seen.clone();
        let stolen = t.join().unwrap();
        seen.extend(stolen.iter().copied());
        seen.sort_unstable();
        assert_eq!(
            seen,
            [1, 2],
            "every G comes out exactly once: ran {ran:?}, ran+drained {drained:?}, stolen {stolen:?}"
        );
    });
}

/// The holder fills `runnext`, then runs a goroutine (outside its section, where the thief
/// may take the slot), comes back into its section, runs what `runnext` holds and fills it
/// again. The thief's swap and the holder's plain accesses never overlap, or loom reports
/// the G lost or taken twice.
#[test]
fn runnext_taken_while_the_holder_runs_a_goroutine() {
    model(|| {
        let m = Model::new();
        let t = steal_once(m.thief, m.victim, m.bodies.clone());

        fill(&m.bodies[0], 1);
        m.holder.push_next(m.g1);
        let lease = m.holder.shared().lease();
        lease.leave(&m.m); // a goroutine runs
        assert!(lease.enter(&m.m, m.tenure), "nobody revokes the P here");
        let mut seen: Vec<u64> = Vec::new();
        if let Some((g, _)) = m.holder.next() {
            seen.push(read(&m.bodies, &g));
        }
        fill(&m.bodies[1], 2);
        m.holder.push_next(m.g2);
        seen.extend(m.holder.drain().iter().map(|g| read(&m.bodies, g)));
        seen.extend(t.join().unwrap());
        seen.sort_unstable();
        assert_eq!(seen, [1, 2], "every G comes out exactly once");
    });
}
