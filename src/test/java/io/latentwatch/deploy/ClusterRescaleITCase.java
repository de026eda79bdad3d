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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rescale on the real thing: a Flink standalone session cluster as separate JVMs with two TaskManagers of one slot
 * each; the cluster jar submitted with {@code flink run --parallelism 1}, stopped with a savepoint through the REST
 * API while frames stream in, and submitted again with {@code flink run -s SAVEPOINT ... --parallelism 2}. The second
 * job runs on both TaskManagers, and every frame has exactly one latents record and at most one alert.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class ClusterRescaleITCase {

    private static final Path TARGET = ClusterRuns.TARGET;
    /** Two sources on each partition of the 2-partition frames topic (Kafka's partitioner on the keys). */
    /** The processes whose logs a failed wait shows. */
    private static final String[] LOGS = {"jobmanager", "taskmanager-1", "taskmanager-2"};
    private static final List<String> SOURCES = List.of("cam-0", "cam-1", "cam-4", "cam-7");

    @TempDir Path tmp;

    @Test
    void stoppedWithASavepointAndResubmittedAtParallelismTwoTheOutputsStayExactlyOnce() throws Exception {
        Path model = TestModels.detector();
        Path clusterJar = ClusterRuns.clusterJar();
        int total = 600;
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().partitions(2).start();
                StandaloneFlinkCluster flink = new StandaloneFlinkCluster(tmp, TARGET.resolve("flink-lib/cpu"), Map.of(
                        "execution.checkpointing.dir", tmp.resolve("checkpoints").toUri().toString(),
                        "taskmanager.numberOfTaskSlots", "1"))) {
            kafka.createTopics("frames", "latents", "alerts", "frames-dlq");
            flink.startJobManager();
            String first = flink.startTaskManager();
            String second = flink.startTaskManager();
            List<String> jobArgs = List.of("-c", "io.latentwatch.pipeline.ScoringJob", clusterJar.toString(),
                    "--bootstrap-servers", kafka.bootstrapServers(), "--model", model.toString(), "--from-beginning",
                    "--checkpoint-interval", "1s", "--max-batch-size", "16", "--max-batch-delay", "10ms", "--adaptive-threshold");
            String job1 = flink.submit(concat(jobArgs, "--parallelism", "1"));

            SyntheticCamera camera = TestModels.camera().anomalyRate(0.05)
                    .optAnomalyKinds(TestModels.DETECTABLE.toArray(AnomalyKind[]::new)).build();
            AtomicInteger sent = new AtomicInteger();
            Thread producer = new Thread(() -> ClusterRuns.produce(kafka, camera, SOURCES, 50_000, total, 20, sent), "frames-producer");
            producer.start();

            // mid-stream: once some frames are committed, the job stops with a savepoint and comes back at parallelism 2
            ClusterRuns.waitUntil(() -> count(kafka, "latents") >= 100, Duration.ofSeconds(120), "100 committed latents records before the stop",
                    flink, LOGS);
            String savepoint = flink.stopWithSavepoint(job1, tmp.resolve("savepoints").toUri().toString(), Duration.ofSeconds(120));
            int sentAtStop = sent.get();
            int committedAtStop = count(kafka, "latents");
            ClusterRuns.waitUntil(() -> "FINISHED".equals(flink.job(job1).get("state").getAsString()), Duration.ofSeconds(60),
                    "the first job finished",
                    flink, LOGS);
            String job2 = flink.submit(concat(List.of("-s", savepoint), concat(jobArgs, "--parallelism", "2")));
            producer.join(120_000);
            assertEquals(total, sent.get(), "frames sent");
            ClusterRuns.waitUntil(() -> count(kafka, "latents") >= total, Duration.ofSeconds(180), total + " latents records after the resubmission",
                    flink, LOGS);
            Thread.sleep(3000); // anything written twice would be committed by now

            Map<String, Integer> perFrame = new TreeMap<>();
            Set<String> flagged = new TreeSet<>();
            for (ConsumerRecord<byte[], byte[]> r : Records.readCommitted(kafka.clientProperties(), "latents")) {
                JsonObject j = Records.json(r);
                perFrame.merge(j.get("frame_id").getAsString(), 1, Integer::sum);
                if (j.get("anomaly").getAsBoolean()) {
                    flagged.add(j.get("frame_id").getAsString());
                }
            }
            Map<String, Integer> alerts = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> r : Records.readCommitted(kafka.clientProperties(), "alerts")) {
                alerts.merge(Records.json(r).get("frame_id").getAsString(), 1, Integer::sum);
            }
            List<JsonObject> vertices = flink.vertices(job2);
            JsonObject scorer = vertices.stream().filter(v -> v.get("name").getAsString().contains("DIP-VAE scorer")).findFirst()
                    .orElseThrow(() -> new AssertionError("no scorer vertex in " + vertices));
            Set<String> scorerTaskManagers = flink.taskManagersOf(job2, scorer.get("id").getAsString());
            String status = flink.job(job2).get("state").getAsString();
            System.out.printf("cluster rescale: frames in %d (savepoint after %d sent, %d committed), latents records out %d for %d distinct"
                    + " frames, alerts %d; the second job at parallelism %d on %s, %s%n", total, sentAtStop, committedAtStop,
                    perFrame.values().stream().mapToInt(Integer::intValue).sum(), perFrame.size(), alerts.size(),
                    scorer.get("parallelism").getAsInt(), scorerTaskManagers, status);

            assertTrue(committedAtStop < total, "stopped mid-stream: " + committedAtStop + " of " + total + " committed");
            assertEquals(total, perFrame.size(), "every frame scored");
            assertEquals(Map.of(), ClusterRuns.notOnce(perFrame), "frames with more than one latents record");
            // alerts are at-least-once (latentwatch.sink.alerts.delivery-guarantee): none lost, a repeat allowed
            assertTrue(alerts.keySet().containsAll(flagged), "an alert for each frame its latents record flags; missing: "
                    + flagged.stream().filter(id -> !alerts.containsKey(id)).toList());
            assertTrue(alerts.size() > 0, "the injected anomalies raise alerts");
            assertEquals(2, scorer.get("parallelism").getAsInt(), "the scorers' parallelism after the resubmission");
            assertEquals(Set.of(first, second), scorerTaskManagers, "the second job's scorers run on both TaskManagers");
            assertEquals("RUNNING", status);
            for (String taskManager : List.of(first, second)) {
                assertTrue(flink.log(taskManager).contains("scores with model"), taskManager + " loaded DJL and the model:\n" + flink.tail(taskManager));
            }
            flink.cancel(job2);
        }
    }

    private static List<String> concat(List<String> a, String... b) {
        return concat(a, List.of(b));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).collect(Collectors.toList());
    }

    private static int count(EmbeddedKafka kafka, String topic) {
        return Records.readCommitted(kafka.clientProperties(), topic).size();
    }
}
