//! Export jobs: where a job stands ([`JobState`]), its progress in percent, and the cap on
//! the file a job may keep. A job runs an export that the streaming RPCs also serve; it
//! differs only in where the file goes (stored, then downloaded).

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The largest file a job keeps (stored in its row; PostgreSQL's bytea tops out at 1 GiB).
pub(crate) const MAX_FILE_BYTES: usize = 512 * 1024 * 1024;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobState {
    /// Waiting for a worker or running.
    Running,
    /// Done; its file can be downloaded.
    Succeeded,
    /// Ended without a file.
    Failed,
}

impl JobState {
    /// The name stored in `export_job.state`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
        }
    }

    /// The state named `name` (anything unknown reads as failed: the table's check
    /// constraint allows only the three names).
    pub(crate) fn parse(name: &str) -> Self {
        match name {
            "running" => JobState::Running,
            "succeeded" => JobState::Succeeded,
            _ => JobState::Failed,
        }
    }
}

/// An export job as GetExport answers it.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) export_id: Uuid,
    pub(crate) company_id: Uuid,
    pub(crate) state: JobState,
    pub(crate) rows_done: i64,
    /// 0 when not known.
    pub(crate) rows_total: i64,
    /// Empty until known.
    pub(crate) file_name: String,
    pub(crate) size_bytes: i64,
    /// Empty unless it failed.
    pub(crate) error: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
}

impl Job {
    /// Progress in percent: 100 once succeeded; while running, the rows done of the rows
    /// expected, at most 99 (the file is not stored yet), 0 when the total is unknown.
    pub(crate) fn percent(&self) -> i32 {
        match self.state {
            JobState::Succeeded => 100,
            JobState::Running | JobState::Failed if self.rows_total > 0 => {
                let percent = self.rows_done.min(self.rows_total) * 100 / self.rows_total;
                i32::try_from(percent.min(99)).unwrap_or(99)
            }
            JobState::Running | JobState::Failed => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(state: JobState, rows_done: i64, rows_total: i64) -> Job {
        Job {
            export_id: Uuid::nil(),
            company_id: Uuid::nil(),
            state,
            rows_done,
            rows_total,
            file_name: String::new(),
            size_bytes: 0,
            error: String::new(),
            created_at: DateTime::UNIX_EPOCH,
            finished_at: None,
        }
    }

    #[test]
    fn a_running_job_is_at_most_99_percent_and_a_succeeded_one_100() {
        assert_eq!(job(JobState::Running, 0, 0).percent(), 0);
        assert_eq!(job(JobState::Running, 50, 200).percent(), 25);
        assert_eq!(job(JobState::Running, 200, 200).percent(), 99);
        assert_eq!(job(JobState::Running, 300, 200).percent(), 99);
        assert_eq!(job(JobState::Succeeded, 0, 0).percent(), 100);
    }

    #[test]
    fn a_state_reads_back_from_its_name() {
        for state in [JobState::Running, JobState::Succeeded, JobState::Failed] {
            assert_eq!(JobState::parse(state.as_str()), state);
        }
    }
}
