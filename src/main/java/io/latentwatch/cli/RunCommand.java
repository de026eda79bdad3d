package io.latentwatch.cli;

import io.latentwatch.pipeline.ScoringJob;
import io.latentwatch.pipeline.ScoringJobOptions.Delivery;
import io.latentwatch.pipeline.ScoringJobOptions;
import io.latentwatch.pipeline.kafka.BrokerLimits;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** latentwatch run: the streaming scoring job on a local Flink (or the cluster of {@code flink run}). */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the streaming scoring job against a Kafka cluster until Ctrl-C: frames -> decode + validate -> micro-batches ->"
                    + " DIP-VAE -> latents, alerts and frames-dlq (exactly-once by default).",
            "Locally it starts a Flink with its web UI; under `flink run latentwatch.jar run ...` it runs on that cluster.",
            "Any job option can also be given as -Dlatentwatch.KEY=VALUE (see docs/streaming.md)."
        })
final class RunCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin KafkaOptions kafka;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "model directory")
    Path model;

    @Option(names = "--group", defaultValue = "latentwatch", description = "consumer group of the frames source (default: ${DEFAULT-VALUE})")
    String group;

    @Option(names = "--from-beginning", description = "read the frames topic from its start instead of the group's committed offsets")
    boolean fromBeginning;

    @Option(names = "--frames-topic", defaultValue = "frames", description = "default: ${DEFAULT-VALUE}")
    String framesTopic;

    @Option(names = "--latents-topic", defaultValue = "latents", description = "default: ${DEFAULT-VALUE}")
    String latentsTopic;

    @Option(names = "--alerts-topic", defaultValue = "alerts", description = "default: ${DEFAULT-VALUE}")
    String alertsTopic;

    @Option(names = "--dlq-topic", defaultValue = "frames-dlq", description = "default: ${DEFAULT-VALUE}")
    String dlqTopic;

    @Mixin DeviceOption device;

    @Mixin PrecisionOption precision;

    @Option(names = "--max-batch-size", defaultValue = "32", description = "frames per micro-batch at most (default: ${DEFAULT-VALUE})")
    int maxBatchSize;

    @Option(names = "--max-batch-delay", defaultValue = "20ms", converter = DurationConverter.class,
            description = "how long a batch's first frame waits for more (default: ${DEFAULT-VALUE})")
    Duration maxBatchDelay;

    @Option(names = "--parallelism", defaultValue = "1", description = "scoring subtasks (default: ${DEFAULT-VALUE})")
    int parallelism;

    @Option(names = "--delivery-guarantee", defaultValue = "exactly-once",
            description = "exactly-once (Kafka transactions; read with isolation.level=read_committed) or at-least-once (default: ${DEFAULT-VALUE})")
    String delivery;

    @Option(names = "--transactional-id-prefix",
            description = "prefix of the sinks' transactional ids; unique per job on a Kafka cluster (default: the --group)")
    String transactionalIdPrefix;

    @Option(names = "--checkpoint-interval", defaultValue = "2s", converter = DurationConverter.class,
            description = "also how often exactly-once results become visible (default: ${DEFAULT-VALUE})")
    Duration checkpointInterval;

    @Option(names = "--threshold", description = "alert threshold (default: the model's calibrated threshold)")
    Double threshold;

    @Option(names = "--adaptive-threshold", description = "adapt each source's threshold to its own normal frames after a warm-up")
    boolean adaptive;

    @Option(names = "--fine-tune", description = "fine-tune the model on sampled normal frames while scoring; the scorers switch to"
            + " every version the validation gate accepts (settings: -D latentwatch.tuning.*)")
    boolean fineTune;

    @Option(names = "--registry", paramLabel = "DIR", description = "model registry directory of --fine-tune (shared by every task manager)")
    Path registry;

    @Option(names = "--model-updates-topic", defaultValue = "model-updates", description = "default: ${DEFAULT-VALUE}")
    String modelUpdatesTopic;

    @Option(names = "--web-ui-port", defaultValue = "8081", description = "port of the local Flink web UI; 0 takes a free one (default: ${DEFAULT-VALUE})")
    int webUiPort;

    @Option(names = "-D", paramLabel = "KEY=VALUE", description = "any job option (latentwatch.*) or Flink setting")
    Map<String, String> extra = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = LatentwatchCommand.out(spec);
        Configuration conf = configuration(spec, kafka, extra);
        conf.set(ScoringJobOptions.MODEL_PATH, model.toString());
        conf.set(ScoringJobOptions.GROUP_ID, group);
        if (fromBeginning) {
            conf.set(ScoringJobOptions.STARTING_OFFSETS, ScoringJobOptions.StartingOffsets.EARLIEST);
        }
        conf.set(ScoringJobOptions.FRAMES_TOPIC, framesTopic);
        conf.set(ScoringJobOptions.LATENTS_TOPIC, latentsTopic);
        conf.set(ScoringJobOptions.ALERTS_TOPIC, alertsTopic);
        conf.set(ScoringJobOptions.DLQ_TOPIC, dlqTopic);
        conf.set(ScoringJobOptions.DEVICE, device.device);
        conf.set(ScoringJobOptions.PRECISION, precision.precision);
        conf.set(ScoringJobOptions.MAX_BATCH_SIZE, maxBatchSize);
        conf.set(ScoringJobOptions.MAX_BATCH_DELAY, maxBatchDelay);
        conf.set(ScoringJobOptions.SCORING_PARALLELISM, parallelism);
        conf.set(ScoringJobOptions.DELIVERY_GUARANTEE, delivery(spec, delivery));
        if (transactionalIdPrefix != null) {
            conf.set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, transactionalIdPrefix);
        }
        conf.set(ScoringJobOptions.CHECKPOINT_INTERVAL, checkpointInterval);
        if (threshold != null) {
            conf.set(ScoringJobOptions.THRESHOLD, threshold);
        }
        conf.set(ScoringJobOptions.ADAPTIVE_THRESHOLD, adaptive);
        if (fineTune) {
            conf.set(ScoringJobOptions.TUNING_ENABLED, true);
        }
        if (registry != null) {
            conf.set(ScoringJobOptions.TUNING_REGISTRY, registry.toString());
        }
        conf.set(ScoringJobOptions.MODEL_UPDATES_TOPIC, modelUpdatesTopic);
        if (webUiPort < 0 || webUiPort > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--web-ui-port must be in 0..65535, got " + webUiPort);
        }
        conf.set(RestOptions.PORT, webUiPort);

        ScoringJob job = ScoringJob.builder().setConfiguration(conf).build();
        job.kafka().checkTopicsExist(job.topics(), 30_000);
        BrokerLimits limits = BrokerLimits.read(job.kafka(), conf.get(ScoringJobOptions.FRAMES_TOPIC), conf.get(ScoringJobOptions.DLQ_TOPIC), 30_000);
        for (String note : job.check(limits)) {
            out.println("note: " + note);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(ScoringJob.localEnvironment(conf));
        env.setParallelism(parallelism);
        printSettings(out, job);
        JobClient client = job.start(env);
        out.printf("job %s submitted%s; Ctrl-C stops it%n", client.getJobID(), webUiPort == 0 ? "" : ", web UI http://localhost:" + webUiPort);
        out.flush();
        Thread hook = new Thread(() -> cancelQuietly(client), "latentwatch-run-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            client.getJobExecutionResult().get();
        } catch (InterruptedException e) {
            cancelQuietly(client); // the caller stops us: the local job must not outlive the command
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
        }
        return 0;
    }

    /** Kafka settings and -D values as a Flink configuration; secrets stay in the properties file. */
    static Configuration configuration(CommandLine.Model.CommandSpec spec, KafkaOptions kafka, Map<String, String> extra) {
        Configuration conf = Configuration.fromMap(extra);
        if (kafka.bootstrapServers != null) {
            conf.set(ScoringJobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers);
        } else if (kafka.commandConfig == null && !conf.contains(ScoringJobOptions.BOOTSTRAP_SERVERS)) {
            conf.set(ScoringJobOptions.BOOTSTRAP_SERVERS, "localhost:9092");
        }
        if (kafka.commandConfig != null) {
            conf.set(ScoringJobOptions.KAFKA_PROPERTIES_FILE, kafka.commandConfig.toString());
        }
        return conf;
    }

    static Delivery delivery(CommandLine.Model.CommandSpec spec, String value) {
        switch (value.toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "exactly-once":
                return Delivery.EXACTLY_ONCE;
            case "at-least-once":
                return Delivery.AT_LEAST_ONCE;
            default:
                throw new CommandLine.ParameterException(spec.commandLine(), "--delivery-guarantee must be exactly-once or at-least-once, got " + value);
        }
    }

    static void printSettings(PrintWriter out, ScoringJob job) {
        out.printf("model %s (version %d, %s, threshold %s)%n", job.model().config(), job.model().version(), job.model().scoreName(),
                Double.isNaN(job.baseThreshold()) ? "none: adaptive warm-up" : String.format(Locale.ROOT, "%.6g", job.baseThreshold()));
        for (String line : job.kafka().describe()) {
            out.println("kafka " + line);
        }
        for (String line : job.describe()) {
            out.println(line);
        }
        out.flush();
    }

    private static void cancelQuietly(JobClient client) {
        try {
            client.cancel().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            // the job may have ended already
        }
    }

    /** For tests: the Kafka settings this command line would use. */
    KafkaClientConfig kafkaConfig() throws java.io.IOException {
        return kafka.clientConfig();
    }
}
