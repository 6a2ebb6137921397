//! gpm-trace: turns a gpm scheduler trace (the Chrome trace event JSON that `GPM_TRACE`
//! or `RuntimeBuilder::trace` writes) into one self-contained HTML page with an SVG
//! timeline: a lane per OS thread (`M0`, `M1`, ..., `sysmon`, other threads), goroutine
//! runs coloured per goroutine, syscalls as a darker band inside their run, idle Ms
//! hatched, markers for goroutine creations, steals, sysmon handoffs, netpoll wake-ups and
//! M wake-ups, and ready → run arrows. The page needs no network and no JS to render.
//!
//! ```
//! let json = r#"{"traceEvents":[
//!   {"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"M0"}},
//!   {"ph":"X","cat":"goroutine","name":"g1 main","pid":1,"tid":1,"ts":0,"dur":10,
//!    "args":{"g":1,"p":0,"end":"exit"}}]}"#;
//! let html = gpm_trace::convert(json, "demo", &gpm_trace::Options::default()).unwrap();
//! assert!(html.contains("g1 main"));
//! ```
//!
//! The pipeline is [`parse`] → [`layout()`] → [`html::page`]; the `gpm-trace` binary wraps
//! it (`gpm-trace trace.json [-o out.html]`).

pub mod color;
pub mod escape;
pub mod html;
pub mod layout;
pub mod model;
pub mod parse;
pub mod svg;
pub mod ticks;

#[cfg(test)]
mod fixture_tests;

pub use layout::{layout, Layout, Options};
pub use model::{MarkKind, Trace};
pub use parse::{parse, ParseError};

/// Parses `json` and renders the page, titled `title`.
pub fn convert(json: &str, title: &str, opts: &Options) -> Result<String, ParseError> {
    let trace = parse(json)?;
    let l = layout(&trace, opts);
    Ok(html::page(&trace, &l, opts, title))
}
