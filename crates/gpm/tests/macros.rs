//! `#[gpm::test]` (and through it the expansion `#[gpm::main]` shares): each test's body
//! is a goroutine of a runtime of its own, built with the attribute's options.

use std::error::Error;
use std::time::Duration;

#[gpm::test]
fn runs_the_body_as_a_goroutine() {
    assert!(
        gpm::stats().live >= 1,
        "the body is a goroutine of a live runtime"
    );
    let h = gpm::go!(|| 6 * 7);
    assert_eq!(h.join().unwrap(), 42);
}

#[gpm::test(procs = 1)]
fn procs_one() {
    assert_eq!(gpm::stats().ps.len(), 1);
    // With one P, the spawned goroutine runs only once the body parks.
    let (tx, rx) = gpm::bounded(0);
    let h = gpm::go!(move || {
        for i in 0..10 {
            tx.send(i).unwrap();
        }
    });
    assert_eq!(rx.iter().sum::<i32>(), 45);
    h.join().unwrap();
}

#[gpm::test(procs = 1 + 1)]
fn procs_two_from_an_expression() {
    assert_eq!(gpm::stats().ps.len(), 2);
}

const STACK: usize = 2 << 20;

#[gpm::test(stack_size = STACK, procs = 2)]
fn stack_size_is_applied() {
    // 512 KiB of locals overflows the default 256 KiB stack but fits in 2 MiB.
    let h = gpm::go!(|| {
        let buf = std::hint::black_box([1u8; 512 * 1024]);
        buf.iter().map(|&b| b as usize).sum::<usize>()
    });
    assert_eq!(h.join().unwrap(), 512 * 1024);
}

#[gpm::test(procs = 2)]
fn the_body_parks_on_a_channel_and_a_timer() {
    let (tx, rx) = gpm::bounded::<&str>(0);
    let h = gpm::go!(move || {
        gpm::time::sleep(Duration::from_millis(1));
        tx.send("late").unwrap();
    });
    assert_eq!(rx.recv().unwrap(), "late"); // parks the body until the sender comes
    h.join().unwrap();
}

#[gpm::test]
#[should_panic(expected = "boom in the body")]
fn a_panic_in_the_body_reaches_the_harness() {
    let h = gpm::go!(|| 1);
    assert_eq!(h.join().unwrap(), 1);
    panic!("boom in the body");
}

#[gpm::test]
#[ignore = "only shows that #[ignore] is kept"]
fn ignored_test_is_kept_ignored() {
    unreachable!("an ignored test does not run");
}

#[gpm::test(procs = 2)]
fn a_result_with_a_non_send_error() -> Result<(), Box<dyn Error>> {
    let n: u32 = "21".parse()?;
    let doubled = gpm::go!(move || n * 2)
        .join()
        .map_err(|_| "goroutine panicked")?;
    assert_eq!(doubled, 42);
    Ok(())
}

/// An `Err` fails the test: call the expanded function directly and look at the exit code.
mod failing {
    use std::process::ExitCode;

    // Not a test of the outer harness: `#[gpm::test]` would make it one, so the same
    // expansion is reached through `#[gpm::main]`, which shares it minus `#[test]`.
    #[gpm::main(procs = 1)]
    fn returns_err() -> Result<(), String> {
        Err("expected failure".into())
    }

    #[gpm::main(procs = 1)]
    fn returns_ok() -> Result<(), String> {
        Ok(())
    }

    #[test]
    fn an_err_becomes_a_failure_exit_code() {
        assert_eq!(returns_err(), ExitCode::FAILURE);
        assert_eq!(returns_ok(), ExitCode::SUCCESS);
    }

    #[gpm::main(procs = 2)]
    fn unit_main_runs_on_its_own_runtime() {
        assert_eq!(gpm::stats().ps.len(), 2);
    }

    #[test]
    fn unit_main_can_be_called() {
        unit_main_runs_on_its_own_runtime();
        unit_main_runs_on_its_own_runtime(); // a fresh runtime each call
    }
}
