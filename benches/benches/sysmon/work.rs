//! The blocking call the sysmon benchmark's readers make, and the shapes of its two
//! workloads (the mixed workload's sizes and the figures one run of it yields).
//!
//! The "read" is either a real `std::fs::read` of a small temporary file (page-cached, so
//! it returns in microseconds and rarely lasts long enough for a handoff), or a
//! `std::thread::sleep` standing in for a slow disk: blocking, deterministic, and long
//! enough that sysmon hands the reader's P to another thread.

use std::path::PathBuf;
use std::time::Duration;

/// What one reader call does.
pub enum Work {
    /// `std::fs::read` of this file; the call returns the sum of its bytes.
    File(PathBuf),
    /// `std::thread::sleep` of this long; the call returns 1.
    Sleep(Duration),
}

impl Work {
    /// Creates the temporary file (`len` bytes of a fixed pattern) for [`Work::File`].
    pub fn file(len: usize) -> Work {
        let path =
            std::env::temp_dir().join(format!("gpm-bench-sysmon-{}.bin", std::process::id()));
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, bytes).expect("write the temporary file");
        Work::File(path)
    }

    /// One blocking call; returns its checksum (see [`Work::expected`]).
    pub fn call(&self) -> u64 {
        match self {
            Work::File(path) => {
                let bytes = std::fs::read(path).expect("read the temporary file");
                bytes.iter().map(|&b| u64::from(b)).sum()
            }
            Work::Sleep(d) => {
                std::thread::sleep(*d);
                1
            }
        }
    }

    /// What every [`Work::call`] must return.
    pub fn expected(&self, file_len: usize) -> u64 {
        match self {
            Work::File(_) => (0..file_len).map(|i| (i % 251) as u64).sum(),
            Work::Sleep(_) => 1,
        }
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        if let Work::File(path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The sizes of one mixed run.
#[derive(Clone, Copy, Debug)]
pub struct Mixed {
    /// Reader tasks, each making `reads` blocking calls (0: the pipeline alone).
    pub readers: usize,
    /// Blocking calls per reader; each result is sent to one collector task.
    pub reads: usize,
    /// Channel workers in the pipeline (each receives, adds 1, sends on).
    pub stages: usize,
    /// Messages the source sends through the pipeline (`0..messages`).
    pub messages: usize,
    /// Capacity of every channel (pipeline links and the readers' result channel).
    pub cap: usize,
}

impl Mixed {
    /// The sum the pipeline's sink must see: every message went through every stage.
    pub fn pipeline_sum(&self) -> u64 {
        let m = self.messages as u64;
        m * m.saturating_sub(1) / 2 + m * self.stages as u64
    }
}

/// What one mixed run measured, and the sums to check.
#[derive(Clone, Copy, Debug)]
pub struct MixedRun {
    /// From the first spawn until both the pipeline and the readers are done.
    pub total: Duration,
    /// Until the sink has received the last message.
    pub pipeline: Duration,
    /// Until the collector has received the last reader result.
    pub readers: Duration,
    /// What the sink summed.
    pub pipe_sum: u64,
    /// What the collector summed.
    pub read_sum: u64,
}
