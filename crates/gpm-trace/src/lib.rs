//! gpm-trace: turns a gpm scheduler trace (Chrome trace event JSON) into a self-contained
//! HTML page with an SVG timeline.
