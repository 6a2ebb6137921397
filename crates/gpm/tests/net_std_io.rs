//! std-io code used unchanged on gpm streams: `BufReader::lines` over a `TcpStream`, and
//! `serde_json::from_reader` parsing a document another goroutine writes in small pieces
//! (so the parser's reads park in the middle of the document).

use std::io::{BufRead, BufReader, Write};
use std::net::Shutdown;

mod net_common;
use net_common::{pair, rt};

#[test]
fn buf_reader_lines_over_a_tcp_stream() {
    rt(2).block_on(|| {
        let (mut c, s) = pair();
        let writer = gpm::go!(move || {
            for i in 0..1000 {
                writeln!(c, "line {i}").unwrap();
            }
            c.shutdown(Shutdown::Write).unwrap();
        });
        let lines: Vec<String> = BufReader::new(s).lines().map(Result::unwrap).collect();
        assert_eq!(lines.len(), 1000);
        assert!(lines
            .iter()
            .enumerate()
            .all(|(i, l)| *l == format!("line {i}")));
        writer.join().unwrap();
    });
}

#[test]
fn serde_json_from_reader_parses_a_document_written_by_another_goroutine() {
    rt(1).block_on(|| {
        let doc = serde_json::json!({
            "name": "gpm",
            "goroutines": 100_000,
            "ratio": 1.2,
            "peers": ["tokio", "may", "go"],
            "nested": { "ok": true, "none": null, "list": (0..200).collect::<Vec<u32>>() },
        });
        let (c, s) = pair();
        let text = serde_json::to_vec(&doc).unwrap();
        let writer = gpm::go!(move || {
            for piece in text.chunks(7) {
                (&c).write_all(piece).unwrap();
                gpm::yield_now(); // let the parser run dry and park on the socket
            }
            c.shutdown(Shutdown::Write).unwrap(); // from_reader reads to the end
        });
        let got: serde_json::Value = serde_json::from_reader(&s).unwrap();
        assert_eq!(got, doc);
        writer.join().unwrap();
    });
}
