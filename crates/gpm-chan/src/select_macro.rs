//! `select!`: crossbeam-channel's syntax over gpm's select engine (`select.rs`).
//!
//! The macro parses its arms one at a time (a tt-muncher), giving each a pair of fresh
//! local names from a fixed list, then expands to: bind every channel expression once
//! (`let c = &expr;`, which also keeps a temporary such as `after(d)` alive), build one
//! arm object per operation on the stack, run the engine, and `match` the index it returns
//! to the chosen arm's body. A send arm's message expression is evaluated only in the chosen
//! branch.

/// Waits on several channel operations and runs the one that completes first.
///
/// ```text
/// select! {
///     recv(r) -> msg => body,       // msg: Result<T, RecvError>
///     send(s, value) -> res => body, // res: Result<(), SendError<T>>; `value` is evaluated
///                                    // only if this arm is chosen
///     default => body,              // if nothing is ready now
///     default(timeout) => body,     // if nothing is ready within `timeout`
/// }
/// ```
///
/// Among the operations ready together, one is chosen at random with equal probability
/// (Go's fairness). An operation on a disconnected channel is always ready (its result is
/// the error). Inside a goroutine a select that waits parks the goroutine; elsewhere it
/// blocks the thread. `select! {}` waits for ever, like Go's `select {}`. At most 32
/// operations; use [`Select`](crate::Select) for more, or for a number known only at run
/// time.
///
/// ```
/// use std::time::Duration;
/// use gpm_chan::{after, select, unbounded};
///
/// let (tx, rx) = unbounded();
/// tx.send(7).unwrap();
/// select! {
///     recv(rx) -> msg => assert_eq!(msg, Ok(7)),
///     recv(after(Duration::from_secs(1))) -> _ => panic!("timed out"),
/// }
/// ```
#[macro_export]
macro_rules! select {
    () => {
        $crate::internal::block_forever()
    };
    ($($tokens:tt)+) => {
        $crate::__gpm_select_start!(false $($tokens)+)
    };
}

/// Like [`select!`], but when several operations are ready the first one listed is chosen
/// (crossbeam's `select_biased!`), instead of one at random.
///
/// ```
/// use gpm_chan::{select_biased, unbounded};
///
/// let (hi_tx, hi) = unbounded();
/// let (lo_tx, lo) = unbounded();
/// for i in 0..3 {
///     hi_tx.send(i).unwrap();
///     lo_tx.send(i).unwrap();
/// }
/// let mut order = Vec::new();
/// for _ in 0..6 {
///     select_biased! {
///         recv(hi) -> v => order.push(("hi", v.unwrap())),
///         recv(lo) -> v => order.push(("lo", v.unwrap())),
///     }
/// }
/// // `hi` is drained first whenever it has something.
/// assert_eq!(order[..3], [("hi", 0), ("hi", 1), ("hi", 2)]);
/// assert_eq!(order[3..], [("lo", 0), ("lo", 1), ("lo", 2)]);
/// ```
#[macro_export]
macro_rules! select_biased {
    () => {
        $crate::internal::block_forever()
    };
    ($($tokens:tt)+) => {
        $crate::__gpm_select_start!(true $($tokens)+)
    };
}

/// Starts the parser with the fixed list of local names, one pair per possible arm.
#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_start {
    ($biased:tt $($tokens:tt)+) => {
        $crate::__gpm_select_parse!(
            $biased
            [
                (__gpm_c0 __gpm_a0 0) (__gpm_c1 __gpm_a1 1) (__gpm_c2 __gpm_a2 2)
                (__gpm_c3 __gpm_a3 3) (__gpm_c4 __gpm_a4 4) (__gpm_c5 __gpm_a5 5)
                (__gpm_c6 __gpm_a6 6) (__gpm_c7 __gpm_a7 7) (__gpm_c8 __gpm_a8 8)
                (__gpm_c9 __gpm_a9 9) (__gpm_c10 __gpm_a10 10) (__gpm_c11 __gpm_a11 11)
                (__gpm_c12 __gpm_a12 12) (__gpm_c13 __gpm_a13 13) (__gpm_c14 __gpm_a14 14)
                (__gpm_c15 __gpm_a15 15) (__gpm_c16 __gpm_a16 16) (__gpm_c17 __gpm_a17 17)
                (__gpm_c18 __gpm_a18 18) (__gpm_c19 __gpm_a19 19) (__gpm_c20 __gpm_a20 20)
                (__gpm_c21 __gpm_a21 21) (__gpm_c22 __gpm_a22 22) (__gpm_c23 __gpm_a23 23)
                (__gpm_c24 __gpm_a24 24) (__gpm_c25 __gpm_a25 25) (__gpm_c26 __gpm_a26 26)
                (__gpm_c27 __gpm_a27 27) (__gpm_c28 __gpm_a28 28) (__gpm_c29 __gpm_a29 29)
                (__gpm_c30 __gpm_a30 30) (__gpm_c31 __gpm_a31 31)
            ]
            []
            []
            $($tokens)+
        )
    };
}

/// `select!`'s parser: `biased [unused names] [parsed arms] [default] tokens...`.
#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_parse {
    // All parsed: expand.
    ($b:tt [$($names:tt)*] [$($arms:tt)*] [$($default:tt)*]) => {
        $crate::__gpm_select_expand!([$($arms)*] [$($default)*] $b)
    };
    // recv / send arms: a block body with or without a comma, or an expression body.
    ($b:tt [$name:tt $($names:tt)*] [$($arms:tt)*] $default:tt
        recv($r:expr $(,)?) -> $res:pat => $body:block, $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($names)*] [$($arms)* ($name recv ($r) ($res) $body)] $default $($rest)*)
    };
    ($b:tt [$name:tt $($names:tt)*] [$($arms:tt)*] $default:tt
        recv($r:expr $(,)?) -> $res:pat => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($names)*] [$($arms)* ($name recv ($r) ($res) $body)] $default $($rest)*)
    };
    ($b:tt [$name:tt $($names:tt)*] [$($arms:tt)*] $default:tt
        recv($r:expr $(,)?) -> $res:pat => $body:expr, $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($names)*] [$($arms)* ($name recv ($r) ($res) $body)] $default $($rest)*)
    };
    ($b:tt [$name:tt $($names:tt)*] [$($arms:tt)*] $default:tt
        recv($r:expr $(,)?) -> $res:pat => $body:expr) => {
        $crate::__gpm_select_parse!($b [$($names)*] [$($arms)* ($name recv ($r) ($res) $body)] $default )
    };
    ($b:tt [$name:tt $($names:tt)*] [$($arms:tt)*] $default:tt
        send($s:expr, $m:expr $(,)?) -> $res:pat => $body:block, $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($names)*] [$($arms)* ($name send ($s, $m) ($res) $body)] $default $($rest)*)
    };
    ($b:tt [$name:tt $($names:tt)*] [$($arms:tt)*] $default:tt
        send($s:expr, $m:expr $(,)?) -> $res:pat => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($names)*] [$($arms)* ($name send ($s, $m) ($res) $body)] $default $($rest)*)
    };
    ($b:tt [$name:tt $($names:tt)*] [$($arms:tt)*] $default:tt
        send($s:expr, $m:expr $(,)?) -> $res:pat => $body:expr, $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b [$($names)*] [$($arms)* ($name send ($s, $m) ($res) $body)] $default $($rest)*)
    };
    ($b:tt [$name:tt $($names:tt)*] [$($arms:tt)*] $default:tt
        send($s:expr, $m:expr $(,)?) -> $res:pat => $body:expr) => {
        $crate::__gpm_select_parse!($b [$($names)*] [$($arms)* ($name send ($s, $m) ($res) $body)] $default )
    };
    // default arms (at most one).
    ($b:tt $names:tt $arms:tt [] default => $body:block, $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b $names $arms [(now) $body] $($rest)*)
    };
    ($b:tt $names:tt $arms:tt [] default => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b $names $arms [(now) $body] $($rest)*)
    };
    ($b:tt $names:tt $arms:tt [] default => $body:expr, $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b $names $arms [(now) $body] $($rest)*)
    };
    ($b:tt $names:tt $arms:tt [] default => $body:expr) => {
        $crate::__gpm_select_parse!($b $names $arms [(now) $body] )
    };
    ($b:tt $names:tt $arms:tt [] default() => $body:block, $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b $names $arms [(now) $body] $($rest)*)
    };
    ($b:tt $names:tt $arms:tt [] default() => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b $names $arms [(now) $body] $($rest)*)
    };
    ($b:tt $names:tt $arms:tt [] default() => $body:expr, $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b $names $arms [(now) $body] $($rest)*)
    };
    ($b:tt $names:tt $arms:tt [] default() => $body:expr) => {
        $crate::__gpm_select_parse!($b $names $arms [(now) $body] )
    };
    ($b:tt $names:tt $arms:tt [] default($t:expr $(,)?) => $body:block, $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b $names $arms [(after $t) $body] $($rest)*)
    };
    ($b:tt $names:tt $arms:tt [] default($t:expr $(,)?) => $body:block $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b $names $arms [(after $t) $body] $($rest)*)
    };
    ($b:tt $names:tt $arms:tt [] default($t:expr $(,)?) => $body:expr, $($rest:tt)*) => {
        $crate::__gpm_select_parse!($b $names $arms [(after $t) $body] $($rest)*)
    };
    ($b:tt $names:tt $arms:tt [] default($t:expr $(,)?) => $body:expr) => {
        $crate::__gpm_select_parse!($b $names $arms [(after $t) $body] )
    };
    // Errors.
    ($b:tt $names:tt $arms:tt [$($default:tt)+] default $($rest:tt)*) => {
        ::core::compile_error!("gpm: select! has more than one `default` arm")
    };
    ($b:tt [] $arms:tt $default:tt $($rest:tt)+) => {
        ::core::compile_error!("gpm: select! takes at most 32 operations; use gpm::chan::Select")
    };
    ($b:tt $names:tt $arms:tt $default:tt $($rest:tt)+) => {
        ::core::compile_error!(
            "gpm: expected `recv(r) -> res => body`, `send(s, msg) -> res => body`, \
             `default => body` or `default(timeout) => body` in select!"
        )
    };
}

/// `select!`'s expansion, from the parsed arms: bind each channel expression in a `match`
/// of its own (so temporaries in it, like `after(d)` or `&never()`, live until the select
/// is over), then run the engine and dispatch on its answer.
#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_expand {
    ([$(($name:tt $kind:ident ($($args:tt)*) ($res:pat) $body:tt))*] $default:tt $biased:tt) => {
        $crate::__gpm_select_bind!(
            [$(($name $kind ($($args)*) ($res) $body))*] [] $default $biased
        )
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_bind {
    ([(($c:ident $a:ident $i:tt) recv ($r:expr) ($res:pat) $body:tt) $($rest:tt)*]
        [$($bound:tt)*] $default:tt $biased:tt) => {
        match $r {
            ref $c => {
                let $c: &$crate::Receiver<_> = $c;
                #[allow(unused_mut)]
                let mut $a = $crate::internal::RecvArm::new($c);
                $crate::__gpm_select_bind!(
                    [$($rest)*] [$($bound)* (($c $a $i) recv ($r) ($res) $body)] $default $biased
                )
            }
        }
    };
    ([(($c:ident $a:ident $i:tt) send ($s:expr, $m:expr) ($res:pat) $body:tt) $($rest:tt)*]
        [$($bound:tt)*] $default:tt $biased:tt) => {
        match $s {
            ref $c => {
                let $c: &$crate::Sender<_> = $c;
                #[allow(unused_mut)]
                let mut $a = $crate::internal::SendArm::new($c);
                $crate::__gpm_select_bind!(
                    [$($rest)*] [$($bound)* (($c $a $i) send ($s, $m) ($res) $body)] $default $biased
                )
            }
        }
    };
    ([] [$((($c:ident $a:ident $i:tt) $kind:ident ($($args:tt)*) ($res:pat) $body:tt))*]
        [$($default:tt)*] $biased:tt) => {{
        let __gpm_timeout = $crate::__gpm_select_timeout!($($default)*);
        let __gpm_chosen = {
            let __gpm_arms: &mut [&mut dyn $crate::internal::Arm] = &mut [$( &mut $a ),*];
            $crate::internal::select(__gpm_arms, __gpm_timeout, $biased)
        };
        match __gpm_chosen {
            $( ::core::option::Option::Some($i) => {
                let $res = $crate::__gpm_select_result!($kind $a ($($args)*));
                $body
            } )*
            ::core::option::Option::None => $crate::__gpm_select_default!($($default)*),
            ::core::option::Option::Some(_) => ::core::unreachable!(),
        }
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_result {
    (recv $a:ident ($r:expr)) => {
        $a.result()
    };
    (send $a:ident ($s:expr, $m:expr)) => {
        $a.pending().send($m)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_timeout {
    () => {
        $crate::internal::Timeout::Never
    };
    ((now) $body:tt) => {
        $crate::internal::Timeout::Now
    };
    ((after $t:expr) $body:tt) => {
        $crate::internal::timeout_after($t)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __gpm_select_default {
    () => {
        ::core::unreachable!("gpm: a select without default always completes an operation")
    };
    (($($how:tt)*) $body:tt) => {
        $body
    };
}
