package io.latentwatch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.latentwatch.TestModels;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.pipeline.Records;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real thing on one machine: a Flink standalone session cluster as separate JVMs (a JobManager and a
 * TaskManager, DJL in their lib/ classpath), the cluster jar submitted with {@code flink run} against a real broker;
 * the TaskManager process is killed (SIGKILL) while frames stream in and a new one is started. The job recovers from
 * its last checkpoint, DJL loads in the new TaskManager, and every frame has exactly one latents record.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class ClusterFailoverITCase {

    private static final Path TARGET = ClusterRuns.TARGET;

    @TempDir Path tmp;

    @Test
    void aKilledTaskManagerIsReplacedAndTheOutputsStayExactlyOnce() throws Exception {
        Path model = TestModels.detector();
        Path clusterJar = ClusterRuns.clusterJar();
        int total = 900;
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().partitions(2).start();
                StandaloneFlinkCluster flink = new StandaloneFlinkCluster(tmp, TARGET.resolve("flink-lib/cpu"), Map.of(
                        "execution.checkpointing.dir", tmp.resolve("checkpoints").toUri().toString(),
                        "restart-strategy.type", "fixed-delay",
                        "restart-strategy.fixed-delay.attempts", "30",
                        "restart-strategy.fixed-delay.delay", "1 s",
                        "heartbeat.interval", "1000",
                        "heartbeat.timeout", "6000"))) {
            kafka.createTopics("frames", "latents", "alerts", "frames-dlq");
            flink.startJobManager();
            String first = flink.startTaskManager();
            String jobId = flink.submit(List.of("-c", "io.latentwatch.pipeline.ScoringJob", clusterJar.toString(),
                    "--bootstrap-servers", kafka.bootstrapServers(), "--model", model.toString(), "--from-beginning",
                    "--checkpoint-interval", "1s", "--max-batch-size", "16", "--max-batch-delay", "10ms"));

            SyntheticCamera camera = TestModels.camera().anomalyRate(0.05)
                    .optAnomalyKinds(TestModels.DETECTABLE.toArray(AnomalyKind[]::new)).build();
            AtomicInteger sent = new AtomicInteger();
            List<String> sources = List.of("cam-0", "cam-1", "cam-2", "cam-3");
            Thread producer = new Thread(() -> ClusterRuns.produce(kafka, camera, sources, 30_000, total, 40, sent), "frames-producer");
            producer.start();

            // mid-stream: once some frames are scored and committed, the TaskManager dies
            ClusterRuns.waitUntil(() -> count(kafka, "latents") >= 150, Duration.ofSeconds(120), "150 committed latents records before the kill",
                    flink, first, "jobmanager");
            int sentAtKill = sent.get();
            flink.kill(first);
            String second = flink.startTaskManager();
            producer.join(120_000);
            assertEquals(total, sent.get(), "frames sent");
            ClusterRuns.waitUntil(() -> count(kafka, "latents") >= total, Duration.ofSeconds(180), total + " latents records after the restart",
                    flink, second, "jobmanager");
            Thread.sleep(3000); // anything written twice would be committed by now

            Map<String, Integer> perFrame = new TreeMap<>();
            Set<String> flagged = new TreeSet<>();
            for (ConsumerRecord<byte[], byte[]> r : readAll(kafka, "latents")) {
                JsonObject j = Records.json(r);
                perFrame.merge(j.get("frame_id").getAsString(), 1, Integer::sum);
                if (j.get("anomaly").getAsBoolean()) {
                    flagged.add(j.get("frame_id").getAsString());
                }
            }
            Map<String, Integer> alerts = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : readAll(kafka, "alerts")) {
                alerts.merge(Records.json(r).get("frame_id").getAsString(), 1,
                        Integer::sum);
            }
            String status = flink.job(jobId).get("state").getAsString();
            System.out.printf("cluster failover: frames in %d (TaskManager killed after %d), latents records out %d for %d distinct frames,"
                    + " alerts %d, dead letters %d, job %s%n", total, sentAtKill, perFrame.values().stream().mapToInt(Integer::intValue).sum(),
                    perFrame.size(), alerts.size(), readAll(kafka, "frames-dlq").size(), status);

            assertEquals(total, perFrame.size(), "every frame scored");
            assertEquals(Map.of(), ClusterRuns.notOnce(perFrame), "frames with more than one latents record");
            // alerts are at-least-once (latentwatch.sink.alerts.delivery-guarantee): none lost, a repeat allowed
            assertTrue(alerts.keySet().containsAll(flagged), "an alert for each frame its latents record flags; missing: "
                    + flagged.stream().filter(id -> !alerts.containsKey(id)).toList());
            assertTrue(alerts.size() > 0, "the injected anomalies raise alerts");
            assertEquals("RUNNING", status);
            assertTrue(flink.log(second).contains("scores with model"), "the new TaskManager loaded DJL and the model:\n" + flink.tail(second));
            flink.cancel(jobId);
        }
    }

    private static int count(EmbeddedKafka kafka, String topic) {
        return readAll(kafka, topic).size();
    }

    /** Every committed record of a topic (read_committed), up to its end offsets. */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(EmbeddedKafka kafka, String topic) {
        return Records.readCommitted(kafka.clientProperties(), topic);
    }
}
