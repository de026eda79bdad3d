package io.latentwatch.pipeline;

import com.google.gson.JsonElement;
import io.latentwatch.frames.Frame;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.ScoringJobOptions.Delivery;
import io.latentwatch.pipeline.kafka.BrokerLimits;
import io.latentwatch.pipeline.kafka.DeadLetter;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.pipeline.kafka.KafkaRecords;
import io.latentwatch.pipeline.kafka.RawFrame;
import io.latentwatch.pipeline.kafka.TopicNames;
import io.latentwatch.pipeline.operators.FineTuneFunction;
import io.latentwatch.pipeline.operators.FrameDecoder;
import io.latentwatch.pipeline.operators.MicroBatchOperator;
import io.latentwatch.pipeline.operators.ModelSwitchingScoringFunction;
import io.latentwatch.pipeline.operators.ScoringFunction;
import io.latentwatch.pipeline.operators.SourceKey;
import io.latentwatch.pipeline.operators.ThresholdFunction;
import io.latentwatch.pipeline.operators.Unbatch;
import io.latentwatch.registry.ModelUpdateSignature;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.FrameBatch;
import io.latentwatch.scoring.ScoredBatch;
import io.latentwatch.scoring.ScoredFrame;
import io.latentwatch.training.Calibrator;
import io.latentwatch.tuning.FineTuneSettings;
import io.latentwatch.tuning.FineTuner;
import io.latentwatch.tuning.NormalFrameReservoir;
import io.latentwatch.tuning.ValidationGate;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The streaming scoring job of DESIGN.md's diagram:
 *
 * <pre>
 * KafkaSource(frames) → decode + validate ─► micro-batcher → DIP-VAE scorer → unbatch → keyBy(source) → threshold ─► KafkaSink(latents)
 *                            └ dead letters ─► KafkaSink(frames-dlq)      ▲                                ├ alerts ─► KafkaSink(alerts)
 *                                                                        │ broadcast                      └ normal samples (fine-tuning on)
 *                                      KafkaSource(model-updates) ───────┘                                     │
 *                                                ▲                                  fine-tuner (parallelism 1) ◄┘
 *                                                └──────────── KafkaSink(model-updates) ◄───────┘
 * </pre>
 *
 * Built from {@link ScoringJobOptions} with {@link #builder()}; {@link #attach(StreamExecutionEnvironment)} adds the
 * operators (each with a name and a stable uid) and turns checkpointing on. Decoder, batcher and scorer run chained
 * at the scoring parallelism; only the threshold step is keyed. With {@link ScoringJobOptions#TUNING_ENABLED} the
 * side pipeline is added: the loop back to the scorers goes through the model-updates topic, since Flink 2.x has no
 * iterations.
 *
 * <p>{@link #main(String[])} runs it, so the same class works under {@code flink run -c
 * io.latentwatch.pipeline.ScoringJob latentwatch.jar --latentwatch.model.path /models/m ...} and locally.
 */
public final class ScoringJob {

    /** The job's name in Flink. */
    public static final String NAME = "latentwatch scoring";

    // stable operator ids: state and its mapping survive changes of the topology around them
    public static final String UID_SOURCE = "latentwatch-frames-source";
    public static final String UID_DECODE = "latentwatch-decode-validate";
    public static final String UID_BATCH = "latentwatch-micro-batcher";
    public static final String UID_SCORE = "latentwatch-scorer";
    public static final String UID_UNBATCH = "latentwatch-unbatch";
    public static final String UID_THRESHOLD = "latentwatch-threshold";
    public static final String UID_LATENTS_SINK = "latentwatch-latents-sink";
    public static final String UID_ALERTS_SINK = "latentwatch-alerts-sink";
    public static final String UID_DLQ_SINK = "latentwatch-dlq-sink";
    public static final String UID_UPDATES_SOURCE = "latentwatch-model-updates-source";
    public static final String UID_FINE_TUNER = "latentwatch-fine-tuner";
    public static final String UID_UPDATES_SINK = "latentwatch-model-updates-sink";

    /** Kafka's broker-side cap on transaction timeouts is 15 min by default; the sinks stay below it. */
    static final Duration TRANSACTION_TIMEOUT = Duration.ofMinutes(10);

    private static final Pattern DEVICE = Pattern.compile("auto|cpu|gpu|gpu:\\d+", Pattern.CASE_INSENSITIVE);
    private static final Pattern PRECISION = Pattern.compile("fp32|float32|fp16|float16", Pattern.CASE_INSENSITIVE);

    private final Configuration options;
    private final KafkaClientConfig kafka;
    private final Path modelPath;
    private final ModelMetadata model;
    private final double baseThreshold;
    private final UnaryOperator<DataStream<ScoredFrame>> afterScoring;
    private final OffsetsInitializer stoppingOffsets;
    /** Null when fine-tuning is off. */
    private final FineTuneSettings tuning;

    private ScoringJob(Builder b, KafkaClientConfig kafka, Path modelPath, ModelMetadata model, double baseThreshold, FineTuneSettings tuning) {
        this.options = new Configuration(b.options);
        this.kafka = kafka;
        this.modelPath = modelPath;
        this.model = model;
        this.baseThreshold = baseThreshold;
        this.afterScoring = b.afterScoring;
        this.stoppingOffsets = b.stoppingOffsets;
        this.tuning = tuning;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a job; {@link #build()} checks them and reads the model's model.json. */
    public static final class Builder {
        private Configuration options = new Configuration();
        private KafkaClientConfig kafka;
        private UnaryOperator<DataStream<ScoredFrame>> afterScoring = UnaryOperator.identity();
        private OffsetsInitializer stoppingOffsets;

        private Builder() {}

        /** The job's {@link ScoringJobOptions} (other keys are ignored). */
        public Builder setConfiguration(Configuration options) {
            this.options = new Configuration(options);
            return this;
        }

        /** Sets one option. */
        public <T> Builder set(org.apache.flink.configuration.ConfigOption<T> option, T value) {
            options.set(option, value);
            return this;
        }

        /**
         * Kafka client settings to use instead of those that the options name ({@link
         * ScoringJobOptions#BOOTSTRAP_SERVERS} and {@link ScoringJobOptions#KAFKA_PROPERTIES_FILE}).
         */
        public Builder optKafkaClientConfig(KafkaClientConfig kafka) {
            this.kafka = kafka;
            return this;
        }

        /**
         * Makes the frames source bounded: it stops at these offsets and the job finishes once everything before
         * them is scored and committed (benchmarks, tests).
         */
        public Builder optStoppingOffsets(OffsetsInitializer stoppingOffsets) {
            this.stoppingOffsets = stoppingOffsets;
            return this;
        }

        /** Inserts operators between the scorer and the threshold step (tests and the fault benchmark inject failures there). */
        public Builder optAfterScoring(UnaryOperator<DataStream<ScoredFrame>> afterScoring) {
            this.afterScoring = afterScoring;
            return this;
        }

        /**
         * Checks the settings and reads the model's model.json (the weights are read by each scorer in open()).
         *
         * @throws IllegalArgumentException naming the option and the rule it breaks, or both sides of a conflict
         * @throws IOException if the model's model.json or the Kafka properties file cannot be read
         */
        public ScoringJob build() throws IOException {
            Configuration o = options;
            String path = o.get(ScoringJobOptions.MODEL_PATH);
            check(path != null && !path.isBlank(), "%s is required (a model directory)", ScoringJobOptions.MODEL_PATH.key());
            Path modelPath = Paths.get(path);
            ModelMetadata model = ModelDirectory.readMetadata(modelPath);

            KafkaClientConfig k = kafka;
            if (k == null) {
                String file = o.get(ScoringJobOptions.KAFKA_PROPERTIES_FILE);
                k = KafkaClientConfig.of(o.get(ScoringJobOptions.BOOTSTRAP_SERVERS), file == null ? null : Paths.get(file));
            }

            Set<String> topics = new LinkedHashSet<>();
            boolean tuningOn = o.get(ScoringJobOptions.TUNING_ENABLED);
            List<org.apache.flink.configuration.ConfigOption<String>> topicOptions = new ArrayList<>(List.of(ScoringJobOptions.FRAMES_TOPIC,
                    ScoringJobOptions.LATENTS_TOPIC, ScoringJobOptions.ALERTS_TOPIC, ScoringJobOptions.DLQ_TOPIC));
            if (tuningOn) {
                topicOptions.add(ScoringJobOptions.MODEL_UPDATES_TOPIC);
            }
            for (var topic : topicOptions) {
                String name = o.get(topic);
                try {
                    TopicNames.check(name);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(topic.key() + ": " + e.getMessage(), e);
                }
                check(topics.add(name), "%s is %s, which another latentwatch.topics.* option names too; each topic must differ", topic.key(), name);
            }

            check(o.get(ScoringJobOptions.MAX_BATCH_SIZE) >= 1, "%s must be at least 1, got %s",
                    ScoringJobOptions.MAX_BATCH_SIZE.key(), o.get(ScoringJobOptions.MAX_BATCH_SIZE));
            check(!o.get(ScoringJobOptions.MAX_BATCH_DELAY).isNegative(), "%s must not be negative, got %s",
                    ScoringJobOptions.MAX_BATCH_DELAY.key(), o.get(ScoringJobOptions.MAX_BATCH_DELAY));
            check(!o.get(ScoringJobOptions.BUFFER_TIMEOUT).isNegative(), "%s must not be negative, got %s",
                    ScoringJobOptions.BUFFER_TIMEOUT.key(), o.get(ScoringJobOptions.BUFFER_TIMEOUT));
            check(o.get(ScoringJobOptions.MAX_FRAME_BYTES).getBytes() >= 1, "%s must be positive", ScoringJobOptions.MAX_FRAME_BYTES.key());
            check(o.get(ScoringJobOptions.MAX_FRAME_SIDE) >= 1, "%s must be positive, got %s",
                    ScoringJobOptions.MAX_FRAME_SIDE.key(), o.get(ScoringJobOptions.MAX_FRAME_SIDE));
            check(o.get(ScoringJobOptions.MAX_FRAME_PIXELS) >= 1, "%s must be positive, got %s",
                    ScoringJobOptions.MAX_FRAME_PIXELS.key(), o.get(ScoringJobOptions.MAX_FRAME_PIXELS));
            o.getOptional(ScoringJobOptions.SCORING_PARALLELISM).ifPresent(p ->
                    check(p >= 1, "%s must be at least 1, got %s", ScoringJobOptions.SCORING_PARALLELISM.key(), p));
            String device = o.get(ScoringJobOptions.DEVICE);
            check(DEVICE.matcher(device.trim()).matches(), "%s must be auto, cpu, gpu or gpu:N, got %s", ScoringJobOptions.DEVICE.key(), device);
            String precision = o.get(ScoringJobOptions.PRECISION);
            check(PRECISION.matcher(precision.trim()).matches(), "%s must be fp32 or fp16, got %s", ScoringJobOptions.PRECISION.key(), precision);

            Duration interval = o.get(ScoringJobOptions.CHECKPOINT_INTERVAL);
            check(!interval.isNegative(), "%s must not be negative, got %s", ScoringJobOptions.CHECKPOINT_INTERVAL.key(), interval);
            Delivery delivery = o.get(ScoringJobOptions.DELIVERY_GUARANTEE);
            check(!(interval.isZero() && delivery == Delivery.EXACTLY_ONCE),
                    "%s=0 turns checkpointing off, but %s=exactly_once commits its transactions on checkpoints; turn one of them around",
                    ScoringJobOptions.CHECKPOINT_INTERVAL.key(), ScoringJobOptions.DELIVERY_GUARANTEE.key());
            if (delivery == Delivery.EXACTLY_ONCE) {
                // a transaction stays open for a checkpoint interval at least; the broker aborts it after the timeout
                Duration timeout = transactionTimeout(k);
                check(interval.compareTo(timeout) < 0, "%s must be below the sinks' transaction timeout of %s (%s%s), got %s",
                        ScoringJobOptions.CHECKPOINT_INTERVAL.key(), timeout, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                        k.has(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG) ? " of the Kafka properties" : ", latentwatch's default", interval);
            }
            o.getOptional(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX).ifPresent(prefix ->
                    check(!prefix.isBlank(), "%s must not be blank", ScoringJobOptions.TRANSACTIONAL_ID_PREFIX.key()));
            check(!o.get(ScoringJobOptions.GROUP_ID).isBlank(), "%s must not be blank", ScoringJobOptions.GROUP_ID.key());

            double base = o.getOptional(ScoringJobOptions.THRESHOLD).orElse(model.threshold());
            o.getOptional(ScoringJobOptions.THRESHOLD).ifPresent(t ->
                    check(t > 0 && Double.isFinite(t), "%s must be finite and positive, got %s", ScoringJobOptions.THRESHOLD.key(), t));
            check(Double.isFinite(base) || o.get(ScoringJobOptions.ADAPTIVE_THRESHOLD),
                    "model %s has no calibrated threshold: set %s, or turn on %s", modelPath,
                    ScoringJobOptions.THRESHOLD.key(), ScoringJobOptions.ADAPTIVE_THRESHOLD.key());
            FineTuneSettings tuning = tuningOn ? tuning(o, model) : null;
            String keyFile = o.get(ScoringJobOptions.MODEL_UPDATES_SIGNING_KEY_FILE);
            if (keyFile != null) {
                try {
                    ModelUpdateSignature.fromKeyFile(Paths.get(keyFile)); // refused here in one line, not in every task
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(ScoringJobOptions.MODEL_UPDATES_SIGNING_KEY_FILE.key() + ": " + e.getMessage(), e);
                }
            }
            ScoringJob job = new ScoringJob(this, k, modelPath, model, base, tuning);
            job.thresholdFunction(); // checks the adaptation settings
            return job;
        }
    }

    /** The fine-tuner's settings from the {@code latentwatch.tuning.*} options. */
    private static FineTuneSettings tuning(Configuration o, ModelMetadata model) {
        String registry = o.get(ScoringJobOptions.TUNING_REGISTRY);
        check(registry != null && !registry.isBlank(), "%s=true needs %s (a shared registry directory)", ScoringJobOptions.TUNING_ENABLED.key(),
                ScoringJobOptions.TUNING_REGISTRY.key());
        double rate = o.get(ScoringJobOptions.TUNING_SAMPLE_RATE);
        check(rate > 0 && rate <= 1, "%s must be in (0, 1], got %s", ScoringJobOptions.TUNING_SAMPLE_RATE.key(), rate);
        try {
            FineTuner tuner = FineTuner.builder()
                    .optSteps(o.get(ScoringJobOptions.TUNING_STEPS))
                    .optBatchSize(o.get(ScoringJobOptions.TUNING_BATCH_SIZE))
                    .optLearningRate(o.get(ScoringJobOptions.TUNING_LEARNING_RATE).floatValue())
                    .optDevice(o.get(ScoringJobOptions.TUNING_DEVICE))
                    .build();
            ValidationGate.Builder gate = ValidationGate.builder()
                    .optTolerance(o.get(ScoringJobOptions.TUNING_GATE_TOLERANCE))
                    .optMinHeldOutFrames(o.get(ScoringJobOptions.TUNING_GATE_MIN_HELD_OUT))
                    .optDevice(o.get(ScoringJobOptions.TUNING_DEVICE))
                    .optRecalibrator(Calibrator.recalibrator()); // refits latent scores' statistics too
            o.getOptional(ScoringJobOptions.TUNING_GATE_REFERENCE_TOLERANCE).ifPresent(gate::optReferenceTolerance);
            NormalFrameReservoir.Builder reservoir = NormalFrameReservoir.builder()
                    .setFrameValues(model.config().frameValues())
                    .optCapacity(o.get(ScoringJobOptions.TUNING_RESERVOIR_CAPACITY))
                    .optHeldOutCapacity(o.get(ScoringJobOptions.TUNING_HELD_OUT_CAPACITY))
                    .optHeldOutEvery(o.get(ScoringJobOptions.TUNING_HELD_OUT_EVERY));
            o.getOptional(ScoringJobOptions.TUNING_HORIZON).ifPresent(reservoir::optHorizon);
            return FineTuneSettings.builder()
                    .setRegistry(registry)
                    .setTuner(tuner)
                    .setGate(gate.build())
                    .setReservoir(reservoir.build())
                    .optKeepLast(o.get(ScoringJobOptions.TUNING_KEEP_LAST))
                    .optInterval(o.get(ScoringJobOptions.TUNING_INTERVAL))
                    .optFrames(o.get(ScoringJobOptions.TUNING_FRAMES))
                    .optReferenceFrames(o.get(ScoringJobOptions.TUNING_REFERENCE_FRAMES))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("latentwatch.tuning.*: " + e.getMessage(), e);
        }
    }

    /** The sinks' transaction timeout: transaction.timeout.ms of the Kafka properties, else latentwatch's default. */
    static Duration transactionTimeout(KafkaClientConfig kafka) {
        String ms = kafka.toProperties().getProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG);
        try {
            return ms == null ? TRANSACTION_TIMEOUT : Duration.ofMillis(Long.parseLong(ms.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG + " of the Kafka properties must be milliseconds, got " + ms);
        }
    }

    /**
     * The prefix of the sinks' transactional ids: the option, else the consumer group's id. Jobs of different groups
     * on one cluster then never share (and fence) each other's transactional ids, and a job keeps its prefix across
     * restarts as long as it keeps its group.
     */
    public String transactionalIdPrefix() {
        return options.getOptional(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX).orElse(options.get(ScoringJobOptions.GROUP_ID));
    }

    /**
     * Checks the job's settings against what the cluster accepts.
     *
     * @return notes for the operator (frames larger than the topic takes, dead letters that will be cut)
     * @throws IllegalArgumentException if the sinks' transaction timeout is above the broker's cap (every exactly-once
     *     sink would fail to start)
     */
    public List<String> check(BrokerLimits limits) {
        List<String> notes = new ArrayList<>();
        Duration timeout = transactionTimeout(kafka);
        if (options.get(ScoringJobOptions.DELIVERY_GUARANTEE) == Delivery.EXACTLY_ONCE && limits.transactionMaxTimeoutMs().isPresent()
                && timeout.toMillis() > limits.transactionMaxTimeoutMs().getAsLong()) {
            throw new IllegalArgumentException("the sinks' transaction timeout of " + timeout + " (" + ProducerConfig.TRANSACTION_TIMEOUT_CONFIG
                    + ") is above the broker's cap of " + Duration.ofMillis(limits.transactionMaxTimeoutMs().getAsLong()) + " ("
                    + BrokerLimits.TRANSACTION_MAX_TIMEOUT + "); lower it in the Kafka properties or raise the broker's cap");
        }
        long maxFrame = options.get(ScoringJobOptions.MAX_FRAME_BYTES).getBytes();
        String frames = options.get(ScoringJobOptions.FRAMES_TOPIC);
        if (limits.framesMaxMessageBytes().isPresent() && maxFrame > limits.framesMaxMessageBytes().getAsInt()) {
            notes.add(ScoringJobOptions.MAX_FRAME_BYTES.key() + " is " + maxFrame + " bytes, but topic " + frames + " takes records of at most "
                    + limits.framesMaxMessageBytes().getAsInt() + " bytes (max.message.bytes): larger frames never reach the job");
        }
        int deadLetters = KafkaRecords.producerSetting(kafka.toProperties(), ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (limits.deadLettersMaxMessageBytes().isPresent()) {
            deadLetters = Math.min(deadLetters, limits.deadLettersMaxMessageBytes().getAsInt());
        }
        if (maxFrame > deadLetters) {
            notes.add("dead letters on " + options.get(ScoringJobOptions.DLQ_TOPIC) + " are cut to " + deadLetters + " bytes (the smaller of"
                    + " max.request.size and the topic's max.message.bytes): a refused frame above that keeps key, headers and its"
                    + " first bytes, marked truncated=true with original-size and original-sha256");
        }
        return notes;
    }

    /** The model's metadata as read when the job was built. */
    public ModelMetadata model() {
        return model;
    }

    /** The threshold every source starts from (NaN: none, adaptive warm-up only). */
    public double baseThreshold() {
        return baseThreshold;
    }

    /** The Kafka client settings every source, sink and admin client of the job gets. */
    public KafkaClientConfig kafka() {
        return kafka;
    }

    /** The frames, latents, alerts and dead-letter topics, and model-updates with fine-tuning on. */
    public List<String> topics() {
        List<String> topics = new ArrayList<>(List.of(options.get(ScoringJobOptions.FRAMES_TOPIC), options.get(ScoringJobOptions.LATENTS_TOPIC),
                options.get(ScoringJobOptions.ALERTS_TOPIC), options.get(ScoringJobOptions.DLQ_TOPIC)));
        if (tuning != null) {
            topics.add(options.get(ScoringJobOptions.MODEL_UPDATES_TOPIC));
        }
        return topics;
    }

    /** Whether the job fine-tunes its model (the side pipeline and switching scorers). */
    public boolean fineTunes() {
        return tuning != null;
    }

    /** The job's options with their effective values (defaults included), one {@code key=value} each. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        for (var option : ScoringJobOptions.all()) {
            Object value = options.getOptional(option).isPresent() ? options.get(option) : option.hasDefaultValue() ? option.defaultValue() : null;
            if (option == ScoringJobOptions.TRANSACTIONAL_ID_PREFIX) {
                value = transactionalIdPrefix();
            }
            if (value != null) {
                lines.add(option.key() + "=" + value);
            }
        }
        return lines;
    }

    /**
     * Adds the job's operators to an environment and turns checkpointing on (unless the interval is 0).
     *
     * @return the judged frames stream (what the latents sink writes), for callers that add more
     */
    public DataStream<ScoredFrame> attach(StreamExecutionEnvironment env) {
        Duration interval = options.get(ScoringJobOptions.CHECKPOINT_INTERVAL);
        if (!interval.isZero()) {
            env.enableCheckpointing(interval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
        }
        if (tuning != null && env.getConfiguration().getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isEmpty()) {
            // the reservoir is megabytes (1024 frames of 3x64x64 are 50 MB), more than JobManager-memory checkpoints take
            org.slf4j.LoggerFactory.getLogger(ScoringJob.class).warn("fine-tuning keeps its reservoir in state, which JobManager-memory"
                    + " checkpoints (at most 5 MB) refuse for larger frames or reservoirs; set {} (shared storage on a cluster)",
                    CheckpointingOptions.CHECKPOINTS_DIRECTORY.key());
        }
        int parallelism = options.getOptional(ScoringJobOptions.SCORING_PARALLELISM).orElse(env.getParallelism());
        DipVaeConfig config = model.config();

        SingleOutputStreamOperator<RawFrame> raw = env.fromSource(source(), WatermarkStrategy.noWatermarks(), "frames source")
                .uid(UID_SOURCE)
                .setParallelism(parallelism);
        SingleOutputStreamOperator<Frame> frames = raw.process(new FrameDecoder(config.inChannels(), config.imageSize(),
                        options.get(ScoringJobOptions.MAX_FRAME_BYTES).getBytes(), options.get(ScoringJobOptions.MAX_FRAME_SIDE),
                        options.get(ScoringJobOptions.MAX_FRAME_PIXELS), options.get(ScoringJobOptions.CHANNEL_POLICY)))
                .name("decode + validate")
                .uid(UID_DECODE)
                .setParallelism(parallelism);
        SingleOutputStreamOperator<FrameBatch> batches = frames.transform("micro-batcher", TypeInformation.of(FrameBatch.class),
                        new MicroBatchOperator(options.get(ScoringJobOptions.MAX_BATCH_SIZE), options.get(ScoringJobOptions.MAX_BATCH_DELAY)))
                .uid(UID_BATCH)
                .setParallelism(parallelism);
        SingleOutputStreamOperator<ScoredBatch> scored;
        if (tuning == null) {
            scored = batches.map(new ScoringFunction(modelPath.toString(), options.get(ScoringJobOptions.DEVICE),
                    options.get(ScoringJobOptions.PRECISION), config));
        } else {
            // Flink 2.x has no iterations: the fine-tuner's decisions come back through the model-updates topic
            BroadcastStream<String> updates = env.fromSource(updatesSource(), WatermarkStrategy.noWatermarks(), "model-updates source")
                    .uid(UID_UPDATES_SOURCE)
                    .setParallelism(1)
                    .broadcast(ModelSwitchingScoringFunction.UPDATES);
            scored = batches.connect(updates).process(new ModelSwitchingScoringFunction(modelPath.toString(),
                    options.get(ScoringJobOptions.TUNING_REGISTRY), options.get(ScoringJobOptions.MODEL_UPDATES_SIGNING_KEY_FILE),
                    options.get(ScoringJobOptions.DEVICE), options.get(ScoringJobOptions.PRECISION), config,
                    options.get(ScoringJobOptions.TUNING_SAMPLE_RATE)));
        }
        scored.name("DIP-VAE scorer")
                .uid(UID_SCORE)
                .setParallelism(parallelism);
        // the one network hop on a frame's way (to the keyed threshold step): flushed after the buffer timeout
        DataStream<ScoredFrame> perFrame = scored.flatMap(new Unbatch())
                .name("unbatch")
                .uid(UID_UNBATCH)
                .setParallelism(parallelism)
                .setBufferTimeout(options.get(ScoringJobOptions.BUFFER_TIMEOUT).toMillis());
        perFrame = afterScoring.apply(perFrame);

        SingleOutputStreamOperator<ScoredFrame> judged = perFrame.keyBy(new SourceKey(), Types.STRING)
                .process(tuning != null && options.getOptional(ScoringJobOptions.THRESHOLD).isEmpty()
                        ? thresholdFunction().followingTheModel() : thresholdFunction())
                .name("threshold per source")
                .uid(UID_THRESHOLD);
        judged.sinkTo(sink("latents", KafkaRecords.latents(options.get(ScoringJobOptions.LATENTS_TOPIC))))
                .name("latents sink")
                .uid(UID_LATENTS_SINK);
        DataStream<Alert> alerts = judged.getSideOutput(ThresholdFunction.ALERTS);
        alerts.sinkTo(sink("alerts", KafkaRecords.alerts(options.get(ScoringJobOptions.ALERTS_TOPIC))))
                .name("alerts sink")
                .uid(UID_ALERTS_SINK);
        if (tuning != null) {
            DataStream<String> decisions = judged.getSideOutput(ThresholdFunction.NORMAL_SAMPLES)
                    .keyBy(new FineTuneFunction.ConstantKey(), Types.INT)
                    .process(new FineTuneFunction(tuning, modelPath.toString()))
                    .name("fine-tuner")
                    .uid(UID_FINE_TUNER)
                    .setParallelism(1)
                    .setMaxParallelism(1);
            // the scorers answer the records they refuse on the same topic, as rejections (which they ignore in turn)
            decisions.union(scored.getSideOutput(ModelSwitchingScoringFunction.REFUSED_UPDATES))
                    .sinkTo(sink("model-updates", KafkaRecords.modelUpdates(options.get(ScoringJobOptions.MODEL_UPDATES_TOPIC),
                            options.get(ScoringJobOptions.MODEL_UPDATES_SIGNING_KEY_FILE))))
                    .name("model-updates sink")
                    .uid(UID_UPDATES_SINK)
                    .setParallelism(1);
        }
        DataStream<DeadLetter> dead = frames.getSideOutput(FrameDecoder.DEAD_LETTERS);
        dead.sinkTo(sink("dlq", KafkaRecords.deadLetters(options.get(ScoringJobOptions.DLQ_TOPIC), kafka.toProperties(), kafka)))
                .name("dead-letter sink")
                .uid(UID_DLQ_SINK)
                .setParallelism(parallelism);
        return judged;
    }

    /**
     * A configuration for a local environment that runs this job: {@code base} plus, where it names none, a checkpoint
     * directory under the temporary directory (the fine-tuner's reservoir outgrows JobManager-memory checkpoints).
     */
    public static Configuration localEnvironment(Configuration base) {
        Configuration conf = new Configuration(base);
        if (conf.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isEmpty()) {
            conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, Paths.get(System.getProperty("java.io.tmpdir"), "latentwatch-checkpoints").toUri().toString());
        }
        return conf;
    }

    /** Attaches the job and submits it without waiting for it to end. */
    public JobClient start(StreamExecutionEnvironment env) throws Exception {
        attach(env);
        return env.executeAsync(NAME);
    }

    private KafkaSource<RawFrame> source() {
        OffsetsInitializer start = switch (options.get(ScoringJobOptions.STARTING_OFFSETS)) {
            case COMMITTED_OR_EARLIEST -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            case COMMITTED_OR_LATEST -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.LATEST);
            case EARLIEST -> OffsetsInitializer.earliest();
            case LATEST -> OffsetsInitializer.latest();
        };
        Properties props = kafka.toProperties();
        // frames written in transactions are read once committed
        props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        var builder = KafkaSource.<RawFrame>builder()
                .setProperties(props)
                .setTopics(options.get(ScoringJobOptions.FRAMES_TOPIC))
                .setGroupId(options.get(ScoringJobOptions.GROUP_ID))
                .setStartingOffsets(start)
                .setDeserializer(new KafkaRecords.FramesDeserializer());
        if (stoppingOffsets != null) {
            builder.setBounded(stoppingOffsets);
        }
        return builder.build();
    }

    /**
     * The scorers' view of model-updates: from the latest offset on a fresh start (the fine-tuner announces the
     * registry's version itself), from the checkpoint after a restore.
     */
    private KafkaSource<String> updatesSource() {
        Properties props = kafka.toProperties();
        props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return KafkaSource.<String>builder()
                .setProperties(props)
                .setTopics(options.get(ScoringJobOptions.MODEL_UPDATES_TOPIC))
                .setGroupId(options.get(ScoringJobOptions.GROUP_ID) + "-model-updates")
                .setStartingOffsets(OffsetsInitializer.latest())
                .setDeserializer(new KafkaRecords.ModelUpdatesDeserializer())
                .build();
    }

    private <T> KafkaSink<T> sink(String name, KafkaRecordSerializationSchema<T> serializer) {
        Properties props = kafka.toProperties();
        props.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, String.valueOf(transactionTimeout(kafka).toMillis()));
        boolean exactlyOnce = options.get(ScoringJobOptions.DELIVERY_GUARANTEE) == Delivery.EXACTLY_ONCE;
        return KafkaSink.<T>builder()
                .setKafkaProducerConfig(props)
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(exactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix() + "-" + name)
                .build();
    }

    ThresholdFunction thresholdFunction() {
        if (!options.get(ScoringJobOptions.ADAPTIVE_THRESHOLD)) {
            return ThresholdFunction.fixed(baseThreshold);
        }
        double quantile = options.getOptional(ScoringJobOptions.ADAPTATION_QUANTILE).orElseGet(this::calibrationQuantile);
        try {
            return ThresholdFunction.adaptive(baseThreshold, options.get(ScoringJobOptions.WARM_UP_FRAMES),
                    options.get(ScoringJobOptions.ADAPTATION_WINDOW), quantile, options.get(ScoringJobOptions.MAX_ADAPTATION),
                    options.get(ScoringJobOptions.SOURCE_STATE_TTL));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("latentwatch.threshold.*: " + e.getMessage(), e);
        }
    }

    /** The model's calibration quantile, or 0.99. */
    private double calibrationQuantile() {
        JsonElement q = model.calibration().get("quantile");
        return q == null || q.isJsonNull() ? 0.99 : q.getAsDouble();
    }

    private static void check(boolean ok, String format, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(format, args));
        }
    }

    /**
     * The flags of {@code latentwatch run} that {@link #main(String[])} also takes, and the option each one sets. A
     * flag with no value ({@code --adaptive-threshold}, {@code --from-beginning}) means true.
     */
    static final java.util.Map<String, String> FLAGS = java.util.Map.ofEntries(
            java.util.Map.entry("bootstrap-servers", ScoringJobOptions.BOOTSTRAP_SERVERS.key()),
            java.util.Map.entry("bootstrap-server", ScoringJobOptions.BOOTSTRAP_SERVERS.key()),
            java.util.Map.entry("command-config", ScoringJobOptions.KAFKA_PROPERTIES_FILE.key()),
            java.util.Map.entry("group", ScoringJobOptions.GROUP_ID.key()),
            java.util.Map.entry("frames-topic", ScoringJobOptions.FRAMES_TOPIC.key()),
            java.util.Map.entry("latents-topic", ScoringJobOptions.LATENTS_TOPIC.key()),
            java.util.Map.entry("alerts-topic", ScoringJobOptions.ALERTS_TOPIC.key()),
            java.util.Map.entry("dlq-topic", ScoringJobOptions.DLQ_TOPIC.key()),
            java.util.Map.entry("model", ScoringJobOptions.MODEL_PATH.key()),
            java.util.Map.entry("device", ScoringJobOptions.DEVICE.key()),
            java.util.Map.entry("precision", ScoringJobOptions.PRECISION.key()),
            java.util.Map.entry("max-batch-size", ScoringJobOptions.MAX_BATCH_SIZE.key()),
            java.util.Map.entry("max-batch-delay", ScoringJobOptions.MAX_BATCH_DELAY.key()),
            java.util.Map.entry("parallelism", ScoringJobOptions.SCORING_PARALLELISM.key()),
            java.util.Map.entry("delivery-guarantee", ScoringJobOptions.DELIVERY_GUARANTEE.key()),
            java.util.Map.entry("transactional-id-prefix", ScoringJobOptions.TRANSACTIONAL_ID_PREFIX.key()),
            java.util.Map.entry("checkpoint-interval", ScoringJobOptions.CHECKPOINT_INTERVAL.key()),
            java.util.Map.entry("threshold", ScoringJobOptions.THRESHOLD.key()),
            java.util.Map.entry("adaptive-threshold", ScoringJobOptions.ADAPTIVE_THRESHOLD.key()),
            java.util.Map.entry("model-updates-topic", ScoringJobOptions.MODEL_UPDATES_TOPIC.key()),
            java.util.Map.entry("fine-tune", ScoringJobOptions.TUNING_ENABLED.key()),
            java.util.Map.entry("registry", ScoringJobOptions.TUNING_REGISTRY.key()));

    /**
     * The job's configuration from {@code main}'s arguments: {@code latentwatch run}'s flags ({@link #FLAGS}, e.g.
     * {@code --bootstrap-servers H:P --model DIR}), any option by its key ({@code --latentwatch.scoring.max-batch-size
     * 64}), and {@code --from-beginning}.
     *
     * @throws IllegalArgumentException for a flag that is neither, naming it
     */
    static Configuration configurationFromArgs(String[] args) {
        Configuration conf = new Configuration();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new IllegalArgumentException("expected --flag [value], got '" + a + "'");
            }
            String flag = a.substring(2);
            String value = "true";
            if (flag.contains("=")) {
                value = flag.substring(flag.indexOf('=') + 1);
                flag = flag.substring(0, flag.indexOf('='));
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            }
            if ("from-beginning".equals(flag)) {
                conf.set(ScoringJobOptions.STARTING_OFFSETS, ScoringJobOptions.StartingOffsets.EARLIEST);
            } else if (FLAGS.containsKey(flag)) {
                String key = FLAGS.get(flag);
                conf.setString(key, key.equals(ScoringJobOptions.DELIVERY_GUARANTEE.key()) ? value.replace('-', '_') : value);
            } else if (flag.startsWith("latentwatch.") || flag.contains(".")) {
                conf.setString(flag, value); // an option by its key, or a Flink setting
            } else {
                throw new IllegalArgumentException("unknown flag --" + flag + " (known: " + new java.util.TreeSet<>(FLAGS.keySet())
                        + ", --from-beginning, or any latentwatch.* option key)");
            }
        }
        return conf;
    }

    /**
     * Runs the job on the environment the program runs in (a cluster under {@code flink run}, else a local one):
     * {@code flink run -c io.latentwatch.pipeline.ScoringJob JAR --bootstrap-servers H:P --model DIR [...]} with the
     * flags of {@code latentwatch run} or {@code --latentwatch.KEY VALUE} for any {@link ScoringJobOptions} key.
     */
    public static void main(String[] args) throws Exception {
        Configuration conf = configurationFromArgs(args);
        ScoringJob job = builder().setConfiguration(conf).build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        conf.getOptional(ScoringJobOptions.SCORING_PARALLELISM).ifPresent(env::setParallelism);
        job.attach(env);
        env.execute(NAME);
    }
}
