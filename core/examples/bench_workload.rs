//! Prints the config of the benchmarks' workload (200 features, 1,000 rules) as JSON, for the
//! browser benchmark (`node bench/rules.mjs`).

#[path = "../benches/workload.rs"]
mod workload;

fn main() {
    let config = workload::config_json(workload::RULES, 0);
    println!("{config}");
}
