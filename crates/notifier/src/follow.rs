//! The plan follows the deadlines change feed: each change records the deadline's new
//! state and replans it in one transaction (see [`Store::apply`]), so a repeat of a
//! change after a crash plans nothing twice.

use advocacy_platform::feed::ChangeHandler;
use advocacy_proto::v1 as pb;

use crate::domain::Deadline;
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct Planner {
    store: Store,
}

impl Planner {
    pub fn new(store: Store) -> Planner {
        Planner { store }
    }
}

impl ChangeHandler for Planner {
    async fn apply(&self, change: &pb::DeadlineChange) -> Result<(), String> {
        let deadline = match Deadline::of_change(change) {
            Ok(deadline) => deadline,
            // One unreadable change must not stop every reminder behind it.
            Err(e) => {
                tracing::error!(revision = change.revision, error = %e, "skipping a change the notifier cannot read");
                return Ok(());
            }
        };
        // Owners new to the notifier are looked up first: their zone and manager shape the plan.
        self.store.people().learn(&deadline.owners).await;
        self.store.apply(&deadline).await.map_err(|e| format!("cannot record the plan: {e}"))
    }
}
