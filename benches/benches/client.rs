//! Per-call cost: one operation through the generated client vs the hand-written `reqwest` +
//! `serde_json` baseline, same request, same loopback server, same process. Measured twice:
//! CPU time of the calling thread (the client's own work) and wall time per call.

use std::hint::black_box;

use cf_cache_benches::baseline::Baseline;
use cf_cache_benches::cpu::ThreadCpu;
use cf_cache_benches::server::Server;
use cf_cache_benches::{PURGE_URLS, ZONE, check_identical_requests, per_call_handler, sdk_client, urls};
use cf_cache_client::types::PurgeRequest;
use criterion::measurement::Measurement;
use criterion::{Criterion, criterion_group, criterion_main};
use tokio::runtime::Runtime;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn per_call<M: Measurement>(c: &mut Criterion<M>, label: &str) {
    let rt = runtime();
    if let Err(difference) = rt.block_on(check_identical_requests()) {
        panic!("the comparison would be unfair: {difference}");
    }
    let server = Server::start(per_call_handler());
    let sdk = sdk_client(server.url());
    let raw = Baseline::new(server.url(), cf_cache_benches::TOKEN);
    let files = urls(0, PURGE_URLS);
    let body = PurgeRequest::Files(files.clone());

    let mut group = c.benchmark_group(format!("{label}_purge_{PURGE_URLS}_urls"));
    group.bench_function("cf_cache", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(sdk.purge_cache(ZONE, &body).await.expect("purge")) })
    });
    group.bench_function("baseline", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(raw.purge_files(ZONE, &files).await.expect("purge")) })
    });
    group.finish();

    let mut group = c.benchmark_group(format!("{label}_get_cache_reserve"));
    group.bench_function("cf_cache", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(sdk.get_cache_reserve(ZONE).await.expect("read")) })
    });
    group.bench_function("baseline", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(raw.get_cache_reserve(ZONE).await.expect("read")) })
    });
    group.finish();
}

fn cpu(c: &mut Criterion<ThreadCpu>) {
    per_call(c, "cpu");
}

fn wall(c: &mut Criterion) {
    per_call(c, "wall");
}

criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = cpu
}
criterion_group!(wall_time, wall);
criterion_main!(cpu_time, wall_time);
