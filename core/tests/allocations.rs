//! Evaluating rules allocates nothing: dhat's heap statistics watch `decide` over the
//! benchmarks' workload (1,000 rules, 200 features, a history), after one warm-up call.

use serde_json::json;
use uptake_core::config::Config;
use uptake_core::program::{Program, Scratch};
use uptake_core::state::UserState;
use uptake_core::time::{DayOffset, Duration, Timestamp};
use uptake_core::usage::FeatureUsage;

#[path = "../benches/surroundings.rs"]
mod surroundings;
#[path = "../benches/workload.rs"]
mod workload;

use surroundings::{Surroundings, situation};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// Heap blocks allocated while `run` runs.
fn allocations_during(run: impl FnOnce()) -> u64 {
    let before = dhat::HeapStats::get().total_blocks;
    run();
    dhat::HeapStats::get().total_blocks - before
}

#[test]
fn deciding_allocates_nothing() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let now = Timestamp::from_millis(1_795_000_000_000);
    let program = Program::compile(Config::from_json(&workload::config_json(workload::RULES, 0)).unwrap());
    let mut state = UserState::default();
    for feature in 0..workload::FEATURES {
        let row = state.features.row_or_insert_with(&format!("feature.{feature:03}"), FeatureUsage::default);
        for day in (0..365).step_by(3) {
            state.features.at_mut(row).unwrap().record_use(now.minus(Duration::from_days(day)), DayOffset::default());
        }
    }
    let slots = program.bind(&mut state, now);
    let properties = json!({"amount": 1200}).as_object().unwrap().clone();
    let mut scratch = Scratch::default();
    for _ in 0..6 {
        program.record_event(&mut state, &slots, "event.042", &properties, None, now, &mut scratch);
    }
    let surroundings = Surroundings::new(&program, workload::FEATURES, now);
    let facts = surroundings.facts();
    let situation = situation(&state, &slots, &facts);
    program.wake_for_event(&mut scratch);
    let _ = program.decide(&situation, &scratch);
    let on_event = allocations_during(|| {
        program.wake_for_event(&mut scratch);
        for _ in 0..100 {
            std::hint::black_box(program.decide(&situation, &scratch));
        }
    });
    assert_eq!(on_event, 0, "waking and evaluating the rules an event wakes");

    program.wake_all(&mut scratch);
    let all_rules = allocations_during(|| {
        for _ in 0..100 {
            std::hint::black_box(program.decide(&situation, &scratch));
        }
    });
    assert_eq!(all_rules, 0, "evaluating all rules");
    assert!(program.woken_count(&scratch) == workload::RULES);
}
