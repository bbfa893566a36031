//! The Mermaid diagram of a variant: its Redis pods, Sentinels, Services and, with a
//! write-ahead log, the Kafka topic and the applier.
//!
//! In: the plan and the [`Inventory`]. Out: a fenced `mermaid` block. Invariant: node
//! ids are made only of ASCII letters, digits and `_`, so any name renders.

use std::fmt::Write as _;

use crate::emit::inventory::Inventory;
use crate::plan::model::Plan;
use crate::spec::Shape;

fn mermaid_id(x: &str) -> String {
    x.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

pub fn diagram(out: &mut String, plan: &Plan, inv: &Inventory) {
    let _ = writeln!(out, "```mermaid\ngraph LR");
    let site = plan.variant.label();
    let _ = writeln!(
        out,
        "  subgraph {}[\"{} / namespace {}\"]",
        mermaid_id(&format!("v_{site}")),
        site,
        plan.namespace
    );
    let data = if inv.data_pods.is_empty() {
        // A Deployment's pod has no stable name: the Deployment stands for it.
        let exec = inv.redis.as_ref().map_or("", |r| r.exec.target.as_str());
        let id = mermaid_id(&format!("d_{exec}"));
        let _ = writeln!(out, "    {id}[\"{exec} (Redis)\"]");
        vec![id]
    } else {
        inv.data_pods
            .iter()
            .map(|p| {
                let id = mermaid_id(&format!("p_{p}"));
                let _ = writeln!(out, "    {id}[\"{p}\"]");
                id
            })
            .collect()
    };
    match &plan.spec.shape {
        Shape::Cluster(_) => {
            // Which pod serves which slots is decided at init, not in the manifests.
            let ranges: Vec<String> = plan
                .slots
                .iter()
                .map(|r| format!("{}-{}", r.start, r.end))
                .collect();
            let _ = writeln!(
                out,
                "    slots[/\"cluster bus: hash slots {} over the primaries\"/]",
                ranges.join(", ")
            );
            for d in &data {
                let _ = writeln!(out, "    slots -.- {d}");
            }
        }
        _ => {
            if let Some(first) = data.first() {
                for d in data.iter().skip(1) {
                    let _ = writeln!(out, "    {first} -. replication .- {d}");
                }
            }
        }
    }
    if let Some(s) = &inv.sentinels {
        let label = if inv.sentinel_pods.is_empty() {
            format!("{} (Sentinels)", s.exec.target)
        } else {
            format!("Sentinels: {}", inv.sentinel_pods.join(", "))
        };
        let _ = writeln!(out, "    sentinels{{{{\"{label}\"}}}}");
        for d in &data {
            let _ = writeln!(out, "    sentinels -. monitors .-> {d}");
        }
    }
    // Every Service rkv renders fronts the Redis pods.
    for svc in super::services(inv) {
        let id = mermaid_id(&format!("s_{}", svc.name));
        let _ = writeln!(out, "    {id}([\"Service {}\"])", svc.name);
        if svc.external || svc.type_ == Some("LoadBalancer") {
            let _ = writeln!(out, "    clients((clients)) --> {id}");
        }
        for d in &data {
            let _ = writeln!(out, "    {id} --> {d}");
        }
    }
    if let Shape::Failover(f) = &plan.spec.shape
        && let Some(w) = &f.wal
    {
        let topic = mermaid_id(&format!("t_{}", w.topic.name));
        let _ = writeln!(
            out,
            "    applier[\"Deployment {} ({} pods)\"]",
            inv.applier.as_deref().unwrap_or(""),
            w.applier.replicas
        );
        let _ = writeln!(out, "  end");
        let _ = writeln!(
            out,
            "  {topic}[(\"Kafka topic {} in {}\")] -- consumer group {} --> applier",
            w.topic.name, w.kafka.namespace, w.applier.group
        );
        let _ = writeln!(
            out,
            "  applier -- writes to primary --> {}",
            data.first().cloned().unwrap_or_default()
        );
        if let Some(m) = &w.mirror
            && site == m.to
        {
            let _ = writeln!(
                out,
                "  src[(\"site {} Kafka {}\")] -- MirrorMaker 2 --> {topic}",
                m.from, w.topic.name
            );
        }
    } else {
        let _ = writeln!(out, "  end");
    }
    let _ = writeln!(out, "```");
}
