//! The `gpm-trace` command: `gpm-trace TRACE.json [-o OUT.html] [--width PX]
//! [--max-flows N] [--from US] [--to US]` writes the HTML timeline of a gpm trace
//! (by default next to the input, with the extension `.html`). `--from`/`--to` pick a
//! window in µs since the trace's start, as the page's time axis shows it.

use std::path::PathBuf;
use std::process::ExitCode;

use gpm_trace::Options;

const USAGE: &str = "usage: gpm-trace TRACE.json [-o OUT.html] [--width PX] [--max-flows N] \
                     [--from US] [--to US]";

struct Args {
    input: PathBuf,
    output: Option<PathBuf>,
    opts: Options,
    from: Option<f64>,
    to: Option<f64>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut input = None;
    let mut a = Args {
        input: PathBuf::new(),
        output: None,
        opts: Options::default(),
        from: None,
        to: None,
    };
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, v: String| {
            v.parse::<f64>()
                .map_err(|_| format!("{name}: not a number: {v}"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "-o" | "--output" => a.output = Some(value(&arg)?.into()),
            "--width" => a.opts.width = number(&arg, value(&arg)?)?,
            "--max-flows" => a.opts.max_flows = number(&arg, value(&arg)?)? as usize,
            "--from" => a.from = Some(number(&arg, value(&arg)?)?),
            "--to" => a.to = Some(number(&arg, value(&arg)?)?),
            s if s.starts_with('-') && s != "-" => return Err(format!("unknown option {s}")),
            _ if input.is_some() => return Err(format!("one input file only, got another: {arg}")),
            _ => input = Some(PathBuf::from(arg)),
        }
    }
    a.input = input.ok_or("no input file")?;
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("gpm-trace: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gpm-trace: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(mut a: Args) -> Result<(), String> {
    let json = std::fs::read_to_string(&a.input)
        .map_err(|e| format!("cannot read {}: {e}", a.input.display()))?;
    let trace = gpm_trace::parse(&json).map_err(|e| format!("{}: {e}", a.input.display()))?;
    if a.from.is_some() || a.to.is_some() {
        let (lo, hi) = trace.bounds().unwrap_or((0.0, 1.0));
        let from = a.from.map_or(lo, |f| lo + f);
        let to = a.to.map_or(hi, |t| lo + t);
        if to <= from {
            return Err(format!(
                "--to must be after --from (the trace lasts {} µs)",
                hi - lo
            ));
        }
        a.opts.window = Some((from, to));
    }
    let layout = gpm_trace::layout(&trace, &a.opts);
    let title = a
        .input
        .file_name()
        .map_or("trace".into(), |n| n.to_string_lossy().into_owned());
    let html = gpm_trace::html::page(&trace, &layout, &a.opts, &title);
    let out = a.output.unwrap_or_else(|| a.input.with_extension("html"));
    std::fs::write(&out, html).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "gpm-trace: {} ({} lanes, {} runs, {} markers, {} flows) -> {}",
        a.input.display(),
        layout.lanes.len(),
        trace.runs.len(),
        trace.marks.len(),
        layout.flows.len(),
        out.display()
    );
    Ok(())
}
