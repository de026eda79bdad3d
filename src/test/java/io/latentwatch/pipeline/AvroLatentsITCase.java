package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.TestModels;
import io.latentwatch.ThreadLeaks;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.pipeline.kafka.ValueFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The job with {@code latentwatch.topics.value-format=avro} on a MiniCluster against a real broker, read back the two
 * ways the format promises: with a plain Kafka consumer and Avro's {@code GenericDatumReader} given the repository's
 * schema files, and as Flink SQL tables of {@code 'format' = 'avro'} whose DDL is the one docs/streaming.md shows.
 * Everything is read read_committed (the sinks are exactly-once).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class AvroLatentsITCase {

    private static final Path LATENTS_SCHEMA = Path.of("src/main/resources/avro/latents.avsc");
    private static final Path ALERTS_SCHEMA = Path.of("src/main/resources/avro/alerts.avsc");
    private static final Path DOCS = Path.of("docs/streaming.md");

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.builder().partitions(2).start();
        TestModels.detector(); // trained once per JVM, before any job's clock runs
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void theAvroTopicsReadWithAPlainAvroDecoderAndAsFlinkSqlTables(TestInfo info) throws Exception {
        Set<Thread> threadsBefore = ThreadLeaks.snapshot();
        String p = info.getTestMethod().orElseThrow().getName().substring(0, 12) + "-" + Long.toHexString(System.nanoTime()) + "-";
        kafka.createTopics(p + "frames", p + "latents", p + "alerts", p + "dlq");
        SyntheticCamera camera = TestModels.camera().anomalyRate(0.15).optAnomalyKinds(TestModels.DETECTABLE.toArray(AnomalyKind[]::new)).build();
        List<Records.Sent> sent = new ArrayList<>();
        Map<String, CameraFrame> truth = Records.cameraFrames(camera, 50_000, 120, 2, sent);
        Map<String, Long> capturedAt = sent.stream()
                .collect(Collectors.toMap(s -> s.headers().get("frame-id"), s -> Long.parseLong(s.headers().get("captured-at"))));
        Records.send(kafka.clientProperties(), p + "frames", sent);

        ScoringJob job = TestJobs.onTopics(kafka, p)
                .optStoppingOffsets(OffsetsInitializer.latest())
                .set(ScoringJobOptions.VALUE_FORMAT, ValueFormat.AVRO)
                .set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, p + "tx")
                .set(ScoringJobOptions.SCORING_PARALLELISM, 2)
                .set(ScoringJobOptions.MAX_BATCH_SIZE, 16)
                .set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500))
                .build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        JobClient client = job.start(env);
        assertNotNull(client.getJobExecutionResult().get(180, TimeUnit.SECONDS));

        // (a) a plain consumer and Avro's own decoder, with the schema files of the repository
        Schema latentsSchema = new Schema.Parser().parse(LATENTS_SCHEMA.toFile());
        Map<String, GenericRecord> latents = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Records.readCommitted(kafka.clientProperties(), p + "latents")) {
            GenericRecord v = decode(latentsSchema, r.value());
            String id = v.get("frame_id").toString();
            assertEquals(null, latents.put(id, v), "one latents record per frame: " + id);
            assertEquals(v.get("source").toString(), new String(r.key(), StandardCharsets.UTF_8), "key is the source");
        }
        assertEquals(truth.keySet(), latents.keySet(), "one latents record per frame sent, nothing else");
        long caught = 0;
        long located = 0;
        for (Map.Entry<String, GenericRecord> e : latents.entrySet()) {
            GenericRecord v = e.getValue();
            List<Integer> region = ints(v.get("region"));
            List<Integer> peak = ints(v.get("peak"));
            assertEquals(region == null, peak == null, "a peak exactly where there is a region: " + v);
            if (region != null) {
                located++;
                // the camera's frames are the model's 32 x 32, so the frame's own pixels are the grid's
                assertTrue(region.get(0) >= 0 && region.get(1) >= 0 && region.get(2) >= 1 && region.get(3) >= 1
                        && region.get(0) + region.get(2) <= TestModels.SIZE && region.get(1) + region.get(3) <= TestModels.SIZE, "region in the frame: " + v);
                assertTrue(peak.get(0) >= region.get(0) && peak.get(0) < region.get(0) + region.get(2) && peak.get(1) >= region.get(1)
                        && peak.get(1) < region.get(1) + region.get(3), "the peak in its region: " + v);
            }
            assertEquals(capturedAt.get(e.getKey()), v.get("captured_at"), "captured_at is the header sent: " + v);
            assertEquals(1L, v.get("model_version"));
            assertEquals(16, ((List<?>) v.get("mu")).size(), "one mu per latent dimension: " + v);
            assertEquals(16, ((List<?>) v.get("log_var")).size());
            double score = (Double) v.get("score");
            double threshold = (Double) v.get("threshold");
            assertTrue(score >= 0 && (Double) v.get("mse") >= 0 && threshold > 0, "sane scores: " + v);
            assertEquals(score > threshold, v.get("anomaly"), "the verdict is the score against the threshold: " + v);
            if (truth.get(e.getKey()).isAnomaly() && (Boolean) v.get("anomaly")) {
                caught++;
            }
        }
        long anomalies = truth.values().stream().filter(CameraFrame::isAnomaly).count();
        assertTrue(anomalies >= 8, "the camera injected " + anomalies + " anomalies");
        assertTrue(caught >= anomalies / 2, caught + " of " + anomalies + " injected anomalies judged anomalous");
        assertTrue(located > 0, "the test model measures anomaly maps, and some frame's map has a region");

        Schema alertsSchema = new Schema.Parser().parse(ALERTS_SCHEMA.toFile());
        Map<String, GenericRecord> alerts = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : Records.readCommitted(kafka.clientProperties(), p + "alerts")) {
            GenericRecord a = decode(alertsSchema, r.value());
            assertEquals(null, alerts.put(a.get("frame_id").toString(), a), "one alert per frame at most");
        }
        Set<String> anomalous = latents.entrySet().stream().filter(e -> (Boolean) e.getValue().get("anomaly")).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        assertEquals(anomalous, alerts.keySet(), "an alert for every frame judged anomalous, and for no other");
        for (GenericRecord a : alerts.values()) {
            GenericRecord l = latents.get(a.get("frame_id").toString());
            for (String field : List.of("source", "captured_at", "model_version", "score", "threshold", "mse")) {
                assertEquals(String.valueOf(l.get(field)), String.valueOf(a.get(field)), field + " of the alert and its latents record");
            }
            assertTrue((Long) a.get("detected_at") >= (Long) a.get("captured_at"), "detected after captured: " + a);
            assertTrue(Set.of("low", "medium", "high").contains(a.get("severity").toString()), "severity: " + a);
            assertEquals(ints(l.get("region")), ints(a.get("region")), "the alert's region is its latents record's");
            assertEquals(ints(l.get("peak")), ints(a.get("peak")));
            ByteBuffer png = (ByteBuffer) a.get("anomaly_map_png");
            assertEquals(l.get("region") != null, png != null, "a picture for an alert with a region (on by default), none without: " + a);
            if (png != null) {
                byte[] bytes = bytes(png);
                assertTrue(bytes.length <= ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES.defaultValue().getBytes(), bytes.length + " bytes");
                assertNotNull(ImageIO.read(new ByteArrayInputStream(bytes)), "anomaly_map_png is a PNG");
            }
        }

        // (b) Flink's 'avro' format: the tables of docs/streaming.md, pointed at this test's topics and bounded
        StreamExecutionEnvironment sqlEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        sqlEnv.setParallelism(2);
        StreamTableEnvironment sql = StreamTableEnvironment.create(sqlEnv);
        sql.executeSql(documentedDdl("latents"));
        sql.executeSql(documentedDdl("alerts"));
        List<Row> rows = collect(sql.executeSql("SELECT frame_id, source, captured_at, captured, model_version, mse, kl, score, threshold,"
                + " anomaly, region, peak, mu, log_var FROM latents" + onThisTestsTopic(p, "latents")));
        assertEquals(latents.size(), rows.size(), "the table has every latents record");
        for (Row row : rows) {
            GenericRecord v = latents.get((String) row.getField("frame_id"));
            assertNotNull(v, "a row of a frame that was sent: " + row);
            for (String field : List.of("source", "captured_at", "model_version", "mse", "kl", "score", "threshold", "anomaly")) {
                assertEquals(String.valueOf(v.get(field)), String.valueOf(row.getField(field)), field + " of " + row);
            }
            assertEquals(Instant.ofEpochMilli((Long) v.get("captured_at")), row.getField("captured"), "the computed column");
            assertEquals(ints(v.get("region")), ints(row.getField("region")), "region of " + row);
            assertEquals(ints(v.get("peak")), ints(row.getField("peak")), "peak of " + row);
            for (String vector : List.of("mu", "log_var")) {
                assertEquals(new ArrayList<>((List<?>) v.get(vector)), Arrays.asList((Float[]) row.getField(vector)), vector + " of " + row);
            }
        }
        List<Row> alertRows = collect(sql.executeSql("SELECT frame_id, severity, detected_at, region, anomaly_map_png FROM alerts"
                + onThisTestsTopic(p, "alerts")));
        assertEquals(alerts.size(), alertRows.size(), "the alerts table has every alert");
        for (Row row : alertRows) {
            GenericRecord a = alerts.get((String) row.getField("frame_id"));
            assertNotNull(a, "an alert row of an alerted frame: " + row);
            assertEquals(a.get("severity").toString(), row.getField("severity"));
            assertEquals(a.get("detected_at"), row.getField("detected_at"));
            assertEquals(ints(a.get("region")), ints(row.getField("region")));
            ByteBuffer png = (ByteBuffer) a.get("anomaly_map_png");
            assertArrayEquals(png == null ? null : bytes(png), (byte[]) row.getField("anomaly_map_png"), "the picture of " + row.getField("frame_id"));
        }

        ThreadLeaks.assertNoNewThreads(threadsBefore, Duration.ofSeconds(15), t -> t.getName().startsWith("latentwatch-") || t.getName().contains(p));
        System.out.printf("avro: %d latents records (%d with a region), %d alerts (%d of %d injected anomalies), the same %d and %d rows"
                + " through Flink SQL%n", latents.size(), located, alerts.size(), caught, anomalies, rows.size(), alertRows.size());
    }

    /** An int array as Avro (a list) or Flink SQL (an array) gives it, as a list; null stays null. */
    @SuppressWarnings("unchecked")
    private static List<Integer> ints(Object array) {
        if (array == null) {
            return null;
        }
        if (array instanceof int[] values) {
            return Arrays.stream(values).boxed().toList();
        }
        if (array instanceof Integer[] values) {
            return List.of(values);
        }
        return new ArrayList<>((List<Integer>) array);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }

    private static GenericRecord decode(Schema schema, byte[] value) throws IOException {
        return new GenericDatumReader<GenericRecord>(schema).read(null, DecoderFactory.get().binaryDecoder(value, null));
    }

    /** The {@code CREATE TABLE NAME} statement of docs/streaming.md, as a reader would copy it. */
    private static String documentedDdl(String table) throws IOException {
        Matcher m = Pattern.compile("```sql\\n(CREATE TABLE " + table + " \\(.*?);\\n```", Pattern.DOTALL).matcher(Files.readString(DOCS));
        assertTrue(m.find(), "docs/streaming.md has no CREATE TABLE " + table);
        return m.group(1);
    }

    /**
     * The documented table's options as hints, for this test: its topic and broker, bounded at the topic's end (so the
     * query ends), and client ids that name the test (the thread-leak check finds its consumers' threads by them).
     */
    private static String onThisTestsTopic(String prefix, String topic) {
        return " /*+ OPTIONS('topic' = '" + prefix + topic + "', 'properties.bootstrap.servers' = '" + kafka.bootstrapServers() + "',"
                + " 'scan.bounded.mode' = 'latest-offset', 'properties.client.id.prefix' = '" + prefix + "sql-" + topic + "') */";
    }

    private static List<Row> collect(TableResult result) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (CloseableIterator<Row> it = result.collect()) {
            it.forEachRemaining(rows::add);
        }
        return rows;
    }
}
