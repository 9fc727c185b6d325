//! The in-process store: the default, for one process; nothing survives a restart.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::SystemTime,
};

use serde_json::Value;

use super::{Job, JobState, NewJob};

/// How many finished jobs are kept for `GET /api/jobs/{id}` (the oldest go first).
const KEEP_FINISHED: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct MemoryStore {
    /// Webhook signatures used, with when they may be forgotten.
    signatures: Mutex<HashMap<String, SystemTime>>,
    jobs: Mutex<Jobs>,
}

#[derive(Debug, Default)]
struct Jobs {
    by_id: HashMap<String, Job>,
    finished: VecDeque<String>,
}

impl MemoryStore {
    pub(super) fn first_use(&self, signature: &str, now: SystemTime, expires: SystemTime) -> bool {
        let mut seen = self.signatures.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|_, until| *until >= now);
        seen.insert(signature.to_owned(), expires).is_none()
    }

    pub(super) fn job(&self, id: &str) -> Option<Job> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).by_id.get(id).cloned()
    }

    pub(super) fn dead_jobs(&self, limit: u32) -> Vec<Job> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let dead = jobs.finished.iter().filter_map(|id| jobs.by_id.get(id));
        dead.filter(|job| job.state == JobState::Dead).take(limit as usize).cloned().collect()
    }

    /// Queues `job` under a new id and returns it.
    pub(crate) fn insert(&self, job: &NewJob, event_id: Option<String>) -> Job {
        let now = SystemTime::now();
        let job = Job {
            id: new_uuid(),
            function: job.function.clone(),
            trigger: job.trigger.to_string(),
            state: JobState::Pending,
            tries: 0,
            max_tries: job.max_tries,
            event_id,
            output: None,
            error: None,
            created_at: now,
            updated_at: now,
        };
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.by_id.insert(job.id.clone(), job.clone());
        job
    }

    /// Records a try's start or its end (`state`), with its output or error.
    pub(crate) fn update(
        &self,
        id: &str,
        state: JobState,
        tries: u32,
        output: Option<Value>,
        error: Option<Value>,
    ) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(job) = jobs.by_id.get_mut(id) else { return };
        (job.state, job.tries, job.output, job.error) = (state, tries, output, error);
        job.updated_at = SystemTime::now();
        if matches!(state, JobState::Done | JobState::Dead) {
            jobs.finished.push_back(id.to_owned());
            while jobs.finished.len() > KEEP_FINISHED {
                let Some(old) = jobs.finished.pop_front() else { break };
                jobs.by_id.remove(&old);
            }
        }
    }
}

/// A random (version 4) UUID, as text.
pub(crate) fn new_uuid() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Whether `id` has the shape of a UUID (so a lookup can skip anything else).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn is_uuid(id: &str) -> bool {
    id.len() == 36
        && id.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn uuids_are_random_and_recognised() {
        let (a, b) = (new_uuid(), new_uuid());
        assert_ne!(a, b);
        assert!(is_uuid(&a) && is_uuid(&b), "{a}");
        assert!(!is_uuid("1") && !is_uuid(&a.replace('-', "x")));
    }

    #[test]
    fn a_signature_is_used_once_until_it_expires() {
        let store = MemoryStore::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let expires = now + Duration::from_secs(600);
        assert!(store.first_use("abc", now, expires));
        assert!(!store.first_use("abc", now, expires));
        assert!(store.first_use(
            "abc",
            expires + Duration::from_secs(1),
            expires + Duration::from_secs(600)
        ));
    }
}
