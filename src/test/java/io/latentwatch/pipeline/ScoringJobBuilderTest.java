package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.kafka.BrokerLimits;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's settings are checked when it is built; each message names the option and the rule. */
class ScoringJobBuilderTest {

    @TempDir Path tmp;
    private Path model;

    @BeforeEach
    void uncalibratedModel() throws Exception {
        model = tmp.resolve("model");
        DipVaeConfig c = DipVaeConfig.builder().inChannels(1).imageSize(16).latentDim(4).hiddenDims(8, 8).build();
        Engine.getInstance().setRandomSeed(1);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.write(model, new DipVae(c).initialize(m), ModelMetadata.initial(c, null));
        }
    }

    private Configuration base() {
        Configuration c = new Configuration();
        c.set(ScoringJobOptions.MODEL_PATH, model.toString());
        c.set(ScoringJobOptions.BOOTSTRAP_SERVERS, "localhost:9092");
        c.set(ScoringJobOptions.THRESHOLD, 0.05);
        return c;
    }

    private String error(Configuration c) {
        return assertThrows(IllegalArgumentException.class, () -> ScoringJob.builder().setConfiguration(c).build()).getMessage();
    }

    @Test
    void aGoodConfigurationBuilds() throws Exception {
        ScoringJob job = ScoringJob.builder().setConfiguration(base()).build();
        assertEquals(0.05, job.baseThreshold());
        assertEquals(List.of("frames", "latents", "alerts", "frames-dlq"), job.topics());
        assertTrue(job.describe().contains("latentwatch.sink.delivery-guarantee=EXACTLY_ONCE"), job.describe().toString());
    }

    @Test
    void settingsThatBreakARuleAreNamed() {
        Configuration c = base();
        c.removeConfig(ScoringJobOptions.MODEL_PATH);
        assertEquals("latentwatch.model.path is required (a model directory)", error(c));

        c = base();
        c.removeConfig(ScoringJobOptions.THRESHOLD);
        assertEquals("model " + model + " has no calibrated threshold: set latentwatch.threshold.value, or turn on latentwatch.threshold.adaptive", error(c));

        c = base();
        c.set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ZERO);
        assertEquals("latentwatch.checkpointing.interval=0 turns checkpointing off, but latentwatch.sink.delivery-guarantee=exactly_once"
                + " commits its transactions on checkpoints; turn one of them around", error(c));

        c = base();
        c.set(ScoringJobOptions.ALERTS_TOPIC, "latents");
        assertEquals("latentwatch.topics.alerts is latents, which another latentwatch.topics.* option names too; each topic must differ", error(c));

        c = base();
        c.set(ScoringJobOptions.MAX_BATCH_SIZE, 0);
        assertEquals("latentwatch.scoring.max-batch-size must be at least 1, got 0", error(c));

        c = base();
        c.set(ScoringJobOptions.MAX_FRAME_PIXELS, 0L);
        assertEquals("latentwatch.frames.max-pixels must be positive, got 0", error(c));

        c = base();
        c.set(ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES, MemorySize.ZERO);
        assertEquals("latentwatch.alerts.anomaly-map-png-max-bytes must be between 1 byte and 524288 bytes, got 0 bytes", error(c));

        c = base();
        c.set(ScoringJobOptions.DEVICE, "tpu");
        assertEquals("latentwatch.scoring.device must be auto, cpu, gpu or gpu:N, got tpu", error(c));

        c = base();
        c.set(ScoringJobOptions.ADAPTIVE_THRESHOLD, true);
        c.set(ScoringJobOptions.ADAPTATION_QUANTILE, 0.3);
        assertEquals("latentwatch.threshold.*: quantile must be in (0.5, 1), got 0.3", error(c));

        c = base();
        c.removeConfig(ScoringJobOptions.BOOTSTRAP_SERVERS);
        assertTrue(error(c).startsWith("no Kafka bootstrap servers"));
    }

    @Test
    void alertsGetAnAnomalyMapPictureOfAtMostTheLimitUnlessItIsOff() throws Exception {
        assertEquals(16384, ScoringJob.builder().setConfiguration(base()).build().alertMapPngMaxBytes(), "on by default, 16 KB");
        Configuration c = base();
        c.set(ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES, MemorySize.parse("4kb"));
        assertEquals(4096, ScoringJob.builder().setConfiguration(c).build().alertMapPngMaxBytes());
        c.set(ScoringJobOptions.ALERT_MAP_PNG, false);
        assertEquals(0, ScoringJob.builder().setConfiguration(c).build().alertMapPngMaxBytes(), "off: the scorers render none");
    }

    @Test
    void theCheckpointIntervalIsCheckedAgainstTheTransactionTimeoutThatTheSinksGet() throws Exception {
        Configuration c = base();
        c.set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofMinutes(11));
        assertEquals("latentwatch.checkpointing.interval must be below the sinks' transaction timeout of PT10M (transaction.timeout.ms,"
                + " latentwatch's default), got PT11M", error(c));

        // the properties file's transaction.timeout.ms is the one the sinks get, so it is the one checked
        Path props = Files.writeString(tmp.resolve("kafka.properties"), "bootstrap.servers=localhost:9092\ntransaction.timeout.ms=20000\n");
        c = base();
        c.removeConfig(ScoringJobOptions.BOOTSTRAP_SERVERS);
        c.set(ScoringJobOptions.KAFKA_PROPERTIES_FILE, props.toString());
        c.set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(30));
        assertEquals("latentwatch.checkpointing.interval must be below the sinks' transaction timeout of PT20S (transaction.timeout.ms"
                + " of the Kafka properties), got PT30S", error(c));
        c.set(ScoringJobOptions.DELIVERY_GUARANTEE, ScoringJobOptions.Delivery.AT_LEAST_ONCE);
        ScoringJob.builder().setConfiguration(c).build(); // no transactions (alerts are at-least-once by default), nothing to time out
        c.set(ScoringJobOptions.ALERTS_DELIVERY_GUARANTEE, ScoringJobOptions.Delivery.EXACTLY_ONCE);
        assertEquals("latentwatch.checkpointing.interval must be below the sinks' transaction timeout of PT20S (transaction.timeout.ms"
                + " of the Kafka properties), got PT30S", error(c), "exactly-once alerts alone are transactions too");
        c.set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ZERO);
        assertEquals("latentwatch.checkpointing.interval=0 turns checkpointing off, but latentwatch.sink.alerts.delivery-guarantee=exactly_once"
                + " commits its transactions on checkpoints; turn one of them around", error(c));
        c.removeConfig(ScoringJobOptions.ALERTS_DELIVERY_GUARANTEE);
        ScoringJob.builder().setConfiguration(c).build(); // at-least-once everywhere needs no checkpoints
        c.set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(30));

        // and the broker's cap on it
        c.set(ScoringJobOptions.DELIVERY_GUARANTEE, ScoringJobOptions.Delivery.EXACTLY_ONCE);
        c.set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofSeconds(2));
        ScoringJob job = ScoringJob.builder().setConfiguration(c).build();
        BrokerLimits capped = new BrokerLimits(java.util.OptionalLong.of(15_000), java.util.OptionalInt.empty(), java.util.OptionalInt.empty());
        assertEquals("the sinks' transaction timeout of PT20S (transaction.timeout.ms) is above the broker's cap of PT15S"
                + " (transaction.max.timeout.ms); lower it in the Kafka properties or raise the broker's cap",
                assertThrows(IllegalArgumentException.class, () -> job.check(capped)).getMessage());
        BrokerLimits small = new BrokerLimits(java.util.OptionalLong.of(900_000), java.util.OptionalInt.of(1_000_000), java.util.OptionalInt.of(500_000));
        List<String> notes = job.check(small);
        assertEquals(2, notes.size(), notes.toString());
        assertTrue(notes.get(0).startsWith("latentwatch.frames.max-bytes is 4194304 bytes, but topic frames takes records of at most 1000000 bytes"), notes.get(0));
        assertTrue(notes.get(1).startsWith("dead letters on frames-dlq are cut to 500000 bytes"), notes.get(1));
    }

    @Test
    void theTransactionalIdPrefixIsTheGroupUnlessSet() throws Exception {
        Configuration c = base();
        assertEquals("latentwatch", ScoringJob.builder().setConfiguration(c).build().transactionalIdPrefix());
        c.set(ScoringJobOptions.GROUP_ID, "line-7");
        ScoringJob job = ScoringJob.builder().setConfiguration(c).build();
        assertEquals("line-7", job.transactionalIdPrefix(), "jobs of different groups never share transactional ids");
        assertTrue(job.describe().contains("latentwatch.sink.transactional-id-prefix=line-7"), job.describe().toString());
        c.set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, "tx-7");
        assertEquals("tx-7", ScoringJob.builder().setConfiguration(c).build().transactionalIdPrefix());
        c.set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, " ");
        assertEquals("latentwatch.sink.transactional-id-prefix must not be blank", error(c));
    }

    @Test
    void fineTuningSettingsAreChecked() throws Exception {
        Configuration c = base();
        c.set(ScoringJobOptions.TUNING_ENABLED, true);
        assertEquals("latentwatch.tuning.enabled=true needs latentwatch.tuning.registry (a shared registry directory)", error(c));
        c.set(ScoringJobOptions.TUNING_REGISTRY, tmp.resolve("registry").toString());
        c.set(ScoringJobOptions.TUNING_SAMPLE_RATE, 0.0);
        assertEquals("latentwatch.tuning.sample-rate must be in (0, 1], got 0.0", error(c));
        c.set(ScoringJobOptions.TUNING_SAMPLE_RATE, 0.5);
        c.set(ScoringJobOptions.TUNING_STEPS, 0);
        assertEquals("latentwatch.tuning.*: fine-tune steps must be at least 1, got 0", error(c));
        c.set(ScoringJobOptions.TUNING_STEPS, 5);
        c.set(ScoringJobOptions.MODEL_UPDATES_TOPIC, "latents");
        assertEquals("latentwatch.topics.model-updates is latents, which another latentwatch.topics.* option names too; each topic must differ",
                error(c));
        c.set(ScoringJobOptions.MODEL_UPDATES_TOPIC, "model-updates");
        ScoringJob job = ScoringJob.builder().setConfiguration(c).build();
        assertTrue(job.fineTunes());
        assertEquals(List.of("frames", "latents", "alerts", "frames-dlq", "model-updates"), job.topics());
    }

    @Test
    void aPropertiesFileThatSetsWhatTheJobSetsIsRefused() throws Exception {
        Path props = tmp.resolve("client.properties");
        Files.writeString(props, "group.id=mine\n");
        Configuration c = base();
        c.set(ScoringJobOptions.KAFKA_PROPERTIES_FILE, props.toString());
        assertEquals("Kafka properties file " + props + " sets group.id, which latentwatch sets for each client itself; remove it", error(c));
    }

    @Test
    void secretsAreHiddenWhenSettingsAreShown() {
        KafkaClientConfig k = KafkaClientConfig.of(Map.of("bootstrap.servers", "h:1", "sasl.jaas.config", "x password=\"p\";",
                "ssl.truststore.password", "p2", "security.protocol", "SASL_SSL", "basic.auth.user.secret", "p3"));
        assertEquals(List.of("basic.auth.user.secret=[hidden]", "bootstrap.servers=h:1", "sasl.jaas.config=[hidden]",
                "security.protocol=SASL_SSL", "ssl.truststore.password=[hidden]"), k.describe());
        assertTrue(!k.toString().contains("p2"));
    }

    @Test
    void mainTakesTheFlagsOfLatentwatchRunAndOptionKeys() {
        Configuration c = JobArguments.parse(new String[] {"--bootstrap-servers", "k:9092", "--model", "/models/current",
                "--delivery-guarantee", "at-least-once", "--adaptive-threshold", "--latentwatch.scoring.max-batch-size", "64",
                "--max-batch-delay=5ms", "--model-updates-topic", "model-updates", "--from-beginning"});
        assertEquals("k:9092", c.get(ScoringJobOptions.BOOTSTRAP_SERVERS));
        assertEquals("/models/current", c.get(ScoringJobOptions.MODEL_PATH));
        assertEquals(ScoringJobOptions.Delivery.AT_LEAST_ONCE, c.get(ScoringJobOptions.DELIVERY_GUARANTEE));
        assertEquals(true, c.get(ScoringJobOptions.ADAPTIVE_THRESHOLD));
        assertEquals(64, c.get(ScoringJobOptions.MAX_BATCH_SIZE));
        assertEquals(Duration.ofMillis(5), c.get(ScoringJobOptions.MAX_BATCH_DELAY));
        assertEquals(ScoringJobOptions.StartingOffsets.EARLIEST, c.get(ScoringJobOptions.STARTING_OFFSETS));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobArguments.parse(new String[] {"--modle", "/m"}));
        assertTrue(e.getMessage().startsWith("unknown flag --modle (known: [adaptive-threshold, "), e.getMessage());
    }
}
