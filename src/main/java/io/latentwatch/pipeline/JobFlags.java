package io.latentwatch.pipeline;

import static io.latentwatch.pipeline.JobFlag.DEFAULT;

import io.latentwatch.pipeline.ScoringJobOptions.Delivery;
import io.latentwatch.pipeline.kafka.ValueFormat;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.MemorySize;

/**
 * The job's flags, once: what {@code latentwatch run} offers (a picocli mixin builds its options from this table) and
 * what {@link ScoringJob#main(String[])} parses ({@link JobArguments}). Each flag sets one {@link ScoringJobOptions}
 * option, and only when it is given: its default is the option's own, so a value from {@code -D} (or a {@code
 * --latentwatch.KEY} argument) survives when the flag is not given, and a flag that is given beats it.
 *
 * <p>Kafka's own names where Kafka has one ({@code --bootstrap-servers}, {@code --command-config}, {@code --group}).
 */
public final class JobFlags {

    private JobFlags() {}

    public static final JobFlag<String> BOOTSTRAP_SERVERS = JobFlag.valued(ScoringJobOptions.BOOTSTRAP_SERVERS, String.class, "HOST:PORT[,...]",
            "Kafka bootstrap servers (default: bootstrap.servers of --command-config, else localhost:9092)",
            "--bootstrap-servers", "--bootstrap-server");

    public static final JobFlag<String> COMMAND_CONFIG = JobFlag.valued(ScoringJobOptions.KAFKA_PROPERTIES_FILE, String.class, "FILE",
            "Kafka client properties (security.protocol, sasl.*, ssl.*, ...) for every consumer, producer and admin"
                    + " client; secrets in it are never printed",
            "--command-config", "--client.config");

    public static final JobFlag<String> MODEL = JobFlag.valued(ScoringJobOptions.MODEL_PATH, String.class, "DIR", "model directory", "--model");

    public static final JobFlag<String> GROUP = JobFlag.valued(ScoringJobOptions.GROUP_ID, String.class, "NAME",
            "consumer group of the frames source (default: " + DEFAULT + ")", "--group");

    public static final JobFlag<ScoringJobOptions.StartingOffsets> FROM_BEGINNING = JobFlag.toggle(ScoringJobOptions.STARTING_OFFSETS,
            ScoringJobOptions.StartingOffsets.EARLIEST,
            "read the frames topic from its start instead of the group's committed offsets", "--from-beginning");

    public static final JobFlag<String> FRAMES_TOPIC = topic(ScoringJobOptions.FRAMES_TOPIC, "--frames-topic");

    public static final JobFlag<String> LATENTS_TOPIC = topic(ScoringJobOptions.LATENTS_TOPIC, "--latents-topic");

    public static final JobFlag<String> ALERTS_TOPIC = topic(ScoringJobOptions.ALERTS_TOPIC, "--alerts-topic");

    public static final JobFlag<String> DLQ_TOPIC = topic(ScoringJobOptions.DLQ_TOPIC, "--dlq-topic");

    public static final JobFlag<ValueFormat> VALUE_FORMAT = JobFlag.valued(ScoringJobOptions.VALUE_FORMAT, ValueFormat.class, "FORMAT",
            "value format of the latents and alerts topics: json or avro (plain Avro binary of the jar's avro/latents.avsc"
                    + " and avro/alerts.avsc, what Flink SQL's 'format' = 'avro' reads; default: " + DEFAULT + ")",
            "--value-format");

    public static final JobFlag<String> DEVICE = JobFlag.valued(ScoringJobOptions.DEVICE, String.class, "DEVICE",
            "auto | cpu | gpu | gpu:N (default: " + DEFAULT + "; with auto or gpu, scoring subtask i takes GPU i modulo the GPU"
                    + " count; auto takes the CPU where the engine sees no GPU)",
            "--device");

    public static final JobFlag<String> PRECISION = JobFlag.valued(ScoringJobOptions.PRECISION, String.class, "PRECISION",
            "fp32 | fp16 (default: " + DEFAULT + "; fp16 needs a GPU; bf16 is not in DJL 0.36's PyTorch engine)", "--precision");

    public static final JobFlag<Integer> MAX_BATCH_SIZE = JobFlag.valued(ScoringJobOptions.MAX_BATCH_SIZE, Integer.class, "N",
            "frames per micro-batch at most (default: " + DEFAULT + ")", "--max-batch-size");

    public static final JobFlag<Duration> MAX_BATCH_DELAY = JobFlag.valued(ScoringJobOptions.MAX_BATCH_DELAY, Duration.class, "DURATION",
            "how long a batch's first frame waits for more (default: " + DEFAULT + ")", "--max-batch-delay");

    /** The option has no default: the scorers run at the job's parallelism, which {@code latentwatch run} sets to 1. */
    public static final JobFlag<Integer> PARALLELISM = JobFlag.valued(ScoringJobOptions.SCORING_PARALLELISM, Integer.class, "N",
            "scoring subtasks (default: " + DEFAULT + ")", "--parallelism").withDefaultText("the job's parallelism; 1 locally");

    public static final JobFlag<Delivery> DELIVERY_GUARANTEE = JobFlag.valued(ScoringJobOptions.DELIVERY_GUARANTEE, Delivery.class, "GUARANTEE",
            "exactly-once (Kafka transactions; read with isolation.level=read_committed) or at-least-once (default: " + DEFAULT + ")",
            "--delivery-guarantee");

    public static final JobFlag<Delivery> ALERTS_DELIVERY_GUARANTEE = JobFlag.valued(ScoringJobOptions.ALERTS_DELIVERY_GUARANTEE, Delivery.class,
            "GUARANTEE", "the alerts sink's own: at-least-once (visible at once; a repeat carries the same frame_id) or exactly-once (with the"
                    + " checkpoint) (default: " + DEFAULT + ")",
            "--alerts-delivery-guarantee");

    public static final JobFlag<String> TRANSACTIONAL_ID_PREFIX = JobFlag.valued(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, String.class, "PREFIX",
            "prefix of the sinks' transactional ids; unique per job on a Kafka cluster (default: " + DEFAULT + ")",
            "--transactional-id-prefix").withDefaultText("the --group");

    public static final JobFlag<Duration> CHECKPOINT_INTERVAL = JobFlag.valued(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.class, "DURATION",
            "also how often exactly-once results become visible (default: " + DEFAULT + ")", "--checkpoint-interval");

    public static final JobFlag<Double> THRESHOLD = JobFlag.valued(ScoringJobOptions.THRESHOLD, Double.class, "SCORE",
            "alert threshold (default: " + DEFAULT + ")", "--threshold").withDefaultText("the model's calibrated threshold");

    public static final JobFlag<Boolean> ADAPTIVE_THRESHOLD = JobFlag.toggle(ScoringJobOptions.ADAPTIVE_THRESHOLD, true,
            "adapt each source's threshold to its own normal frames after a warm-up", "--adaptive-threshold");

    public static final JobFlag<Boolean> ALERT_MAP_PNG = JobFlag.valued(ScoringJobOptions.ALERT_MAP_PNG, Boolean.class, "true|false",
            "give alerts of frames with a region a PNG of the frame with its anomaly map over it (default: " + DEFAULT + ")",
            "--alert-map-png");

    public static final JobFlag<MemorySize> ALERT_MAP_PNG_MAX_BYTES = JobFlag.valued(ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES, MemorySize.class,
            "BYTES", "the largest such PNG; a larger picture is scaled down, else left out (default: " + DEFAULT + ")", "--alert-map-png-max-bytes");

    public static final JobFlag<Boolean> FINE_TUNE = JobFlag.toggle(ScoringJobOptions.TUNING_ENABLED, true,
            "fine-tune the model on sampled normal frames while scoring; the scorers switch to every version the validation"
                    + " gate accepts (settings: -D latentwatch.tuning.*)",
            "--fine-tune");

    public static final JobFlag<String> REGISTRY = JobFlag.valued(ScoringJobOptions.TUNING_REGISTRY, String.class, "DIR",
            "model registry directory of --fine-tune (shared by every task manager)", "--registry");

    public static final JobFlag<String> MODEL_UPDATES_TOPIC = topic(ScoringJobOptions.MODEL_UPDATES_TOPIC, "--model-updates-topic");

    private static final List<JobFlag<?>> ALL = List.of(BOOTSTRAP_SERVERS, COMMAND_CONFIG, MODEL, GROUP, FROM_BEGINNING, FRAMES_TOPIC,
            LATENTS_TOPIC, ALERTS_TOPIC, DLQ_TOPIC, VALUE_FORMAT, DEVICE, PRECISION, MAX_BATCH_SIZE, MAX_BATCH_DELAY, PARALLELISM, DELIVERY_GUARANTEE,
            ALERTS_DELIVERY_GUARANTEE, TRANSACTIONAL_ID_PREFIX, CHECKPOINT_INTERVAL, THRESHOLD, ADAPTIVE_THRESHOLD, ALERT_MAP_PNG, ALERT_MAP_PNG_MAX_BYTES, FINE_TUNE, REGISTRY, MODEL_UPDATES_TOPIC);

    /** Every flag of the job. */
    public static List<JobFlag<?>> all() {
        return ALL;
    }

    /** The flag of a name ({@code --max-batch-size}, or an alias), if there is one. */
    public static Optional<JobFlag<?>> named(String name) {
        return ALL.stream().filter(f -> f.names().contains(name)).findFirst();
    }

    private static JobFlag<String> topic(ConfigOption<String> option, String name) {
        return JobFlag.valued(option, String.class, "TOPIC", "default: " + DEFAULT, name);
    }
}
