package io.latentwatch.pipeline;

import io.latentwatch.frames.ChannelPolicy;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.pipeline.kafka.ValueFormat;
import io.latentwatch.pipeline.operators.FrameDecoder;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;

/**
 * Every setting of the streaming scoring job ({@link ScoringJob}): Flink {@link ConfigOption}s with dotted,
 * kebab-case keys under {@code latentwatch.}. They are read from the job's Flink {@link
 * org.apache.flink.configuration.Configuration}, so {@code -Dlatentwatch.scoring.max-batch-size=64} works under
 * {@code flink run} as well as on the {@code latentwatch run} command line.
 *
 * <p>No option holds a secret: Kafka credentials live in the client properties file named by {@link
 * #KAFKA_PROPERTIES_FILE}, which is read when the job is built and never copied into the Flink configuration (the
 * web UI shows that configuration).
 */
public final class ScoringJobOptions {

    private ScoringJobOptions() {}

    /** Delivery guarantee of the job's Kafka sinks. */
    public enum Delivery {
        /** Kafka transactions committed on checkpoints; consumers read with isolation.level=read_committed. */
        EXACTLY_ONCE,
        /** Records are flushed on checkpoints; after a failure some may be written twice. */
        AT_LEAST_ONCE
    }

    /** Where the Kafka source starts when the consumer group has no committed offsets (or always). */
    public enum StartingOffsets {
        /** The group's committed offsets; the earliest offset where it has none. */
        COMMITTED_OR_EARLIEST,
        /** The group's committed offsets; the latest offset where it has none. */
        COMMITTED_OR_LATEST,
        /** Always the earliest offset. */
        EARLIEST,
        /** Always the latest offset. */
        LATEST
    }

    // ---- Kafka (bootstrap servers defined beside the client config that needs them) ----------------------------

    public static final ConfigOption<String> BOOTSTRAP_SERVERS = KafkaClientConfig.BOOTSTRAP_SERVERS;

    public static final ConfigOption<String> KAFKA_PROPERTIES_FILE =
            ConfigOptions.key("latentwatch.kafka.properties-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("A Java properties file of Kafka client settings (security.protocol, sasl.*, ssl.*, ...)"
                            + " given to every consumer, producer and admin client of the job. It is read when the job is"
                            + " built; its contents never enter the Flink configuration or the logs.");

    public static final ConfigOption<String> GROUP_ID =
            ConfigOptions.key("latentwatch.kafka.group-id")
                    .stringType()
                    .defaultValue("latentwatch")
                    .withDescription("Consumer group of the frames source; offsets are committed to it on checkpoints.");

    public static final ConfigOption<StartingOffsets> STARTING_OFFSETS =
            ConfigOptions.key("latentwatch.kafka.starting-offsets")
                    .enumType(StartingOffsets.class)
                    .defaultValue(StartingOffsets.COMMITTED_OR_EARLIEST)
                    .withDescription("Where the frames source starts: committed_or_earliest, committed_or_latest, earliest or latest.");

    public static final ConfigOption<String> FRAMES_TOPIC =
            ConfigOptions.key("latentwatch.topics.frames").stringType().defaultValue("frames").withDescription("Topic of the encoded frames.");

    public static final ConfigOption<String> LATENTS_TOPIC =
            ConfigOptions.key("latentwatch.topics.latents")
                    .stringType()
                    .defaultValue("latents")
                    .withDescription("Topic of the per-frame scores and latent vectors (one record per valid frame).");

    public static final ConfigOption<String> ALERTS_TOPIC =
            ConfigOptions.key("latentwatch.topics.alerts").stringType().defaultValue("alerts").withDescription("Topic of the alerts.");

    public static final ConfigOption<ValueFormat> VALUE_FORMAT =
            ConfigOptions.key("latentwatch.topics.value-format")
                    .enumType(ValueFormat.class)
                    .defaultValue(ValueFormat.JSON)
                    .withDescription("Value format of the latents and alerts topics: json (one JSON object per record) or avro"
                            + " (plain Avro binary of the schemas avro/latents.avsc and avro/alerts.avsc in the job jar,"
                            + " no schema registry framing: what Flink SQL's 'format' = 'avro' reads). Keys are the source"
                            + " id either way; the frames, dead-letter and model-updates topics are not affected.");

    public static final ConfigOption<String> DLQ_TOPIC =
            ConfigOptions.key("latentwatch.topics.dead-letters")
                    .stringType()
                    .defaultValue("frames-dlq")
                    .withDescription("Topic of the frames that could not be decoded or failed validation, with their original key,"
                            + " value and headers plus 'error' and 'error-stage' headers.");

    public static final ConfigOption<Delivery> DELIVERY_GUARANTEE =
            ConfigOptions.key("latentwatch.sink.delivery-guarantee")
                    .enumType(Delivery.class)
                    .defaultValue(Delivery.EXACTLY_ONCE)
                    .withDescription("exactly_once (Kafka transactions committed on checkpoints; read the topics with"
                            + " isolation.level=read_committed) or at_least_once.");

    /**
     * The alerts sink's own guarantee: an alert that waits for the next checkpoint is late, and a repeated one is
     * harmless (it carries its frame_id), so alerts default to at-least-once while the latents stay exactly-once.
     */
    public static final ConfigOption<Delivery> ALERTS_DELIVERY_GUARANTEE =
            ConfigOptions.key("latentwatch.sink.alerts.delivery-guarantee")
                    .enumType(Delivery.class)
                    .defaultValue(Delivery.AT_LEAST_ONCE)
                    .withDescription("The alerts sink's guarantee: at_least_once (written as they are raised, visible within"
                            + " milliseconds; after a failure an alert may come twice with the same frame_id) or exactly_once"
                            + " (committed with the checkpoint, like the other sinks; needs checkpointing).");

    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
            ConfigOptions.key("latentwatch.sink.transactional-id-prefix")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Prefix of the sinks' Kafka transactional ids (a suffix names each sink); default: the"
                            + " consumer group id, so jobs of different groups never fence each other. Two jobs writing to one"
                            + " Kafka cluster need different prefixes; keep it stable across restarts.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
            ConfigOptions.key("latentwatch.checkpointing.interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(2))
                    .withDescription("Checkpoint interval. With exactly_once it is also how often the sinks commit, so it"
                            + " bounds the latency that read_committed consumers see. 0 turns checkpointing off, which only"
                            + " at_least_once allows.");

    // ---- frames (defined beside the decoder that enforces them) ---------------------------------------------

    public static final ConfigOption<MemorySize> MAX_FRAME_BYTES = FrameDecoder.MAX_FRAME_BYTES;

    public static final ConfigOption<Integer> MAX_FRAME_SIDE = FrameDecoder.MAX_FRAME_SIDE;

    public static final ConfigOption<Long> MAX_FRAME_PIXELS = FrameDecoder.MAX_FRAME_PIXELS;

    public static final ConfigOption<ChannelPolicy> CHANNEL_POLICY = FrameDecoder.CHANNEL_POLICY;

    // ---- model and scoring ------------------------------------------------------------------------------------

    public static final ConfigOption<String> MODEL_PATH =
            ConfigOptions.key("latentwatch.model.path")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Model directory (model.json + weights.safetensors). Required. Every task manager"
                            + " reads it in open(), so it must be reachable at the same path there.");

    public static final ConfigOption<String> DEVICE =
            ConfigOptions.key("latentwatch.scoring.device")
                    .stringType()
                    .defaultValue("auto")
                    .withDescription("auto | cpu | gpu | gpu:N. With auto or gpu, subtask i scores on GPU i modulo the GPU count.");

    public static final ConfigOption<String> PRECISION =
            ConfigOptions.key("latentwatch.scoring.precision")
                    .stringType()
                    .defaultValue("fp32")
                    .withDescription("fp32 | fp16 (fp16 needs a GPU).");

    public static final ConfigOption<Integer> MAX_BATCH_SIZE =
            ConfigOptions.key("latentwatch.scoring.max-batch-size")
                    .intType()
                    .defaultValue(32)
                    .withDescription("Frames per micro-batch at most; a full batch is scored at once.");

    public static final ConfigOption<Duration> MAX_BATCH_DELAY =
            ConfigOptions.key("latentwatch.scoring.max-batch-delay")
                    .durationType()
                    .defaultValue(Duration.ofMillis(20))
                    .withDescription("How long the first frame of a micro-batch waits for more before the batch is scored"
                            + " anyway; 0 scores every frame alone.");

    public static final ConfigOption<Duration> BUFFER_TIMEOUT =
            ConfigOptions.key("latentwatch.scoring.buffer-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMillis(5))
                    .withDescription("How long scored frames may wait in a network buffer before it is sent on to the"
                            + " threshold step anyway (Flink's default is 100 ms, which a frame can spend there on top of"
                            + " its batch delay); 0 flushes after every record.");

    public static final ConfigOption<Integer> SCORING_PARALLELISM =
            ConfigOptions.key("latentwatch.scoring.parallelism")
                    .intType()
                    .noDefaultValue()
                    .withDescription("Parallelism of the decoder, batcher and scorer (default: the job's parallelism).");

    // ---- thresholds and alerts ----------------------------------------------------------------------------------

    public static final ConfigOption<Double> THRESHOLD =
            ConfigOptions.key("latentwatch.threshold.value")
                    .doubleType()
                    .noDefaultValue()
                    .withDescription("Score above which a frame is an anomaly (default: the model's calibrated threshold).");

    public static final ConfigOption<Boolean> ADAPTIVE_THRESHOLD =
            ConfigOptions.key("latentwatch.threshold.adaptive")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription("Adapt each source's threshold to the scores of its own normal frames: after the"
                            + " warm-up, the threshold is the quantile of a log-normal fitted (exponentially weighted) to"
                            + " the source's recent normal scores, kept within max-adaptation of the base threshold.");

    public static final ConfigOption<Integer> WARM_UP_FRAMES =
            ConfigOptions.key("latentwatch.threshold.warm-up-frames")
                    .intType()
                    .defaultValue(200)
                    .withDescription("Normal frames a source must show before its adapted threshold replaces the base"
                            + " threshold. Without a base threshold, the source raises no alerts before then.");

    public static final ConfigOption<Integer> ADAPTATION_WINDOW =
            ConfigOptions.key("latentwatch.threshold.adaptation-window")
                    .intType()
                    .defaultValue(1000)
                    .withDescription("Normal frames that the adapted statistics mostly remember (weight 1/window per new frame).");

    public static final ConfigOption<Double> ADAPTATION_QUANTILE =
            ConfigOptions.key("latentwatch.threshold.quantile")
                    .doubleType()
                    .noDefaultValue()
                    .withDescription("Quantile of a source's normal scores that its adapted threshold sits at (default: the"
                            + " model's calibration quantile, else 0.99).");

    public static final ConfigOption<Double> MAX_ADAPTATION =
            ConfigOptions.key("latentwatch.threshold.max-adaptation")
                    .doubleType()
                    .defaultValue(4.0)
                    .withDescription("An adapted threshold stays within [base / f, base * f] of the base threshold.");

    public static final ConfigOption<Duration> SOURCE_STATE_TTL =
            ConfigOptions.key("latentwatch.threshold.state-ttl")
                    .durationType()
                    .defaultValue(Duration.ofDays(1))
                    .withDescription("A source's threshold state is dropped after it has sent no frame for this long.");

    public static final ConfigOption<Boolean> ALERT_MAP_PNG =
            ConfigOptions.key("latentwatch.alerts.anomaly-map-png")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription("Give the alert of a frame whose anomaly map has a region a small PNG of the frame as the"
                            + " model saw it with the map and the region's box over it (anomaly_map_png). The scorers render it"
                            + " only for frames with a region, and the latents topic never carries it; a model without map"
                            + " calibration gives none.");

    public static final ConfigOption<MemorySize> ALERT_MAP_PNG_MAX_BYTES =
            ConfigOptions.key("latentwatch.alerts.anomaly-map-png-max-bytes")
                    .memoryType()
                    .defaultValue(MemorySize.parse("16kb"))
                    .withDescription("The largest anomaly_map_png: the picture is the model's grid upscaled 4, 2 or 1 times,"
                            + " the largest that fits; an alert whose picture does not fit even at the grid's own size has none.");

    // ---- fine-tuning (the side pipeline) -----------------------------------------------------------------------

    public static final ConfigOption<String> MODEL_UPDATES_TOPIC =
            ConfigOptions.key("latentwatch.topics.model-updates")
                    .stringType()
                    .defaultValue("model-updates")
                    .withDescription("Topic of the fine-tuner's decisions (JSON, one per accepted or rejected model); the"
                            + " scorers read it back and switch to accepted versions.");

    public static final ConfigOption<String> MODEL_UPDATES_SIGNING_KEY_FILE =
            ConfigOptions.key("latentwatch.model-updates.signing-key-file")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("A secret file whose content is an HMAC-SHA256 key: the job signs every model-updates"
                            + " record it writes, and its scorers refuse unsigned or mis-signed ones. Without it, any record"
                            + " naming a valid version of the registry is served. The key is never logged.");

    public static final ConfigOption<Boolean> TUNING_ENABLED =
            ConfigOptions.key("latentwatch.tuning.enabled")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription("Fine-tune the model on sampled normal frames while scoring, and switch the scorers to"
                            + " every version the validation gate accepts.");

    public static final ConfigOption<String> TUNING_REGISTRY =
            ConfigOptions.key("latentwatch.tuning.registry")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Model registry directory (required with fine-tuning). Every task manager reads the"
                            + " versions from it, so it must be shared storage at the same path everywhere.");

    public static final ConfigOption<Integer> TUNING_KEEP_LAST =
            ConfigOptions.key("latentwatch.tuning.registry.keep-last")
                    .intType()
                    .defaultValue(10)
                    .withDescription("Versions the registry keeps besides the pinned and the serving one.");

    public static final ConfigOption<Duration> TUNING_INTERVAL =
            ConfigOptions.key("latentwatch.tuning.interval")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(10))
                    .withDescription("A round runs at the latest this long after the previous one (T), if frames were sampled since.");

    public static final ConfigOption<Integer> TUNING_FRAMES =
            ConfigOptions.key("latentwatch.tuning.frames")
                    .intType()
                    .defaultValue(1000)
                    .withDescription("A round runs once this many normal frames were sampled since the previous one (N).");

    public static final ConfigOption<Integer> TUNING_STEPS =
            ConfigOptions.key("latentwatch.tuning.steps")
                    .intType()
                    .defaultValue(50)
                    .withDescription("Adam steps per round with the full DIP loss (K), from the serving weights.");

    public static final ConfigOption<Integer> TUNING_BATCH_SIZE =
            ConfigOptions.key("latentwatch.tuning.batch-size").intType().defaultValue(32).withDescription("Frames per fine-tuning step.");

    public static final ConfigOption<Double> TUNING_LEARNING_RATE =
            ConfigOptions.key("latentwatch.tuning.learning-rate").doubleType().defaultValue(1e-4).withDescription("Adam's step size.");

    public static final ConfigOption<String> TUNING_DEVICE =
            ConfigOptions.key("latentwatch.tuning.device")
                    .stringType()
                    .defaultValue("auto")
                    .withDescription("The fine-tuner's own device: auto | cpu | gpu | gpu:N (it runs at parallelism 1).");

    public static final ConfigOption<Double> TUNING_SAMPLE_RATE =
            ConfigOptions.key("latentwatch.tuning.sample-rate")
                    .doubleType()
                    .defaultValue(0.05)
                    .withDescription("Fraction of scored frames whose pixels go to the sampler; those judged normal enter the reservoir.");

    public static final ConfigOption<Integer> TUNING_RESERVOIR_CAPACITY =
            ConfigOptions.key("latentwatch.tuning.reservoir.capacity").intType().defaultValue(1024).withDescription("Frames kept for fine-tuning.");

    public static final ConfigOption<Integer> TUNING_HELD_OUT_CAPACITY =
            ConfigOptions.key("latentwatch.tuning.reservoir.held-out-capacity").intType().defaultValue(256)
                    .withDescription("Frames kept for the gate's validation.");

    public static final ConfigOption<Integer> TUNING_HELD_OUT_EVERY =
            ConfigOptions.key("latentwatch.tuning.reservoir.held-out-every").intType().defaultValue(5)
                    .withDescription("Every k-th sampled frame goes to the held-out part, never to training.");

    public static final ConfigOption<Long> TUNING_HORIZON =
            ConfigOptions.key("latentwatch.tuning.reservoir.horizon")
                    .longType()
                    .noDefaultValue()
                    .withDescription("Weights the reservoir towards the last this many sampled frames (default: uniform over all).");

    public static final ConfigOption<Integer> TUNING_REFERENCE_FRAMES =
            ConfigOptions.key("latentwatch.tuning.reference-frames")
                    .intType()
                    .defaultValue(128)
                    .withDescription("The first this many sampled normal frames are stored once in the registry as the gate's"
                            + " fixed reference set (R).");

    public static final ConfigOption<Double> TUNING_GATE_TOLERANCE =
            ConfigOptions.key("latentwatch.tuning.gate.tolerance")
                    .doubleType()
                    .defaultValue(0.05)
                    .withDescription("A candidate whose held-out validation loss is more than this much worse (relative) is rejected.");

    public static final ConfigOption<Double> TUNING_GATE_REFERENCE_TOLERANCE =
            ConfigOptions.key("latentwatch.tuning.gate.reference-tolerance")
                    .doubleType()
                    .noDefaultValue()
                    .withDescription("The same for the reference set (default: the held-out tolerance); looser lets the model follow a drift.");

    public static final ConfigOption<Integer> TUNING_GATE_MIN_HELD_OUT =
            ConfigOptions.key("latentwatch.tuning.gate.min-held-out-frames").intType().defaultValue(50)
                    .withDescription("Fewest held-out frames a decision may rest on; rounds with fewer are skipped.");

    /** Every option, for documentation and for copying job settings between configurations. */
    public static List<ConfigOption<?>> all() {
        return List.of(
                BOOTSTRAP_SERVERS, KAFKA_PROPERTIES_FILE, GROUP_ID, STARTING_OFFSETS, FRAMES_TOPIC, LATENTS_TOPIC, ALERTS_TOPIC,
                VALUE_FORMAT, DLQ_TOPIC, DELIVERY_GUARANTEE, ALERTS_DELIVERY_GUARANTEE, TRANSACTIONAL_ID_PREFIX, CHECKPOINT_INTERVAL, MAX_FRAME_BYTES, MAX_FRAME_SIDE,
                MAX_FRAME_PIXELS, CHANNEL_POLICY, MODEL_PATH, DEVICE, PRECISION, MAX_BATCH_SIZE, MAX_BATCH_DELAY, BUFFER_TIMEOUT, SCORING_PARALLELISM, THRESHOLD,
                ADAPTIVE_THRESHOLD, WARM_UP_FRAMES, ADAPTATION_WINDOW, ADAPTATION_QUANTILE, MAX_ADAPTATION, SOURCE_STATE_TTL,
                ALERT_MAP_PNG, ALERT_MAP_PNG_MAX_BYTES, MODEL_UPDATES_TOPIC, MODEL_UPDATES_SIGNING_KEY_FILE, TUNING_ENABLED, TUNING_REGISTRY, TUNING_KEEP_LAST, TUNING_INTERVAL, TUNING_FRAMES, TUNING_STEPS,
                TUNING_BATCH_SIZE, TUNING_LEARNING_RATE, TUNING_DEVICE, TUNING_SAMPLE_RATE, TUNING_RESERVOIR_CAPACITY,
                TUNING_HELD_OUT_CAPACITY, TUNING_HELD_OUT_EVERY, TUNING_HORIZON, TUNING_REFERENCE_FRAMES, TUNING_GATE_TOLERANCE,
                TUNING_GATE_REFERENCE_TOLERANCE, TUNING_GATE_MIN_HELD_OUT);
    }
}
