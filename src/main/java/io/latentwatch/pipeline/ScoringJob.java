package io.latentwatch.pipeline;

import io.latentwatch.frames.Frame;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.ScoringJobOptions.Delivery;
import io.latentwatch.pipeline.kafka.BrokerLimits;
import io.latentwatch.pipeline.kafka.DeadLetter;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.pipeline.kafka.KafkaConnectors;
import io.latentwatch.pipeline.kafka.KafkaRecords;
import io.latentwatch.pipeline.kafka.RawFrame;
import io.latentwatch.pipeline.operators.FineTuneFunction;
import io.latentwatch.pipeline.operators.FrameDecoder;
import io.latentwatch.pipeline.operators.MicroBatchOperator;
import io.latentwatch.pipeline.operators.ModelSwitchingScoringFunction;
import io.latentwatch.pipeline.operators.ScoringFunction;
import io.latentwatch.pipeline.operators.SourceKey;
import io.latentwatch.pipeline.operators.ThresholdFunction;
import io.latentwatch.pipeline.operators.Unbatch;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.FrameBatch;
import io.latentwatch.scoring.ScoredBatch;
import io.latentwatch.scoring.ScoredFrame;
import io.latentwatch.tuning.FineTuneSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
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
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

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
 * Built from {@link ScoringJobOptions} with {@link #builder()}, which checks them ({@link ScoringJobChecks});
 * {@link #attach(StreamExecutionEnvironment)} adds the operators (each with a name and a stable uid) and turns
 * checkpointing on. The Kafka sources and sinks come from {@link KafkaConnectors}. Decoder, batcher and scorer run chained
 * at the scoring parallelism; only the threshold step is keyed. With {@link ScoringJobOptions#TUNING_ENABLED} the
 * side pipeline is added: the loop back to the scorers goes through the model-updates topic, since Flink 2.x has no
 * iterations.
 *
 * <p>{@link #main(String[])} runs it, so the same class works under {@code flink run -c
 * io.latentwatch.pipeline.ScoringJob latentwatch-cluster.jar --bootstrap-servers H:P --model /models/m ...} and locally.
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

    /** A builder of a job from its options. */
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
            Path modelPath = ScoringJobChecks.modelPath(o);
            ModelMetadata model = ModelDirectory.readMetadata(modelPath);
            KafkaClientConfig k = kafka;
            if (k == null) {
                String file = o.get(ScoringJobOptions.KAFKA_PROPERTIES_FILE);
                k = KafkaClientConfig.of(o.get(ScoringJobOptions.BOOTSTRAP_SERVERS), file == null ? null : Paths.get(file));
            }
            ScoringJobChecks.check(o, k);
            double base = ScoringJobChecks.baseThreshold(o, model, modelPath);
            FineTuneSettings tuning = o.get(ScoringJobOptions.TUNING_ENABLED) ? FineTuneSettingsFactory.of(o, model) : null;
            ScoringJobChecks.checkSigningKey(o);
            ScoringJob job = new ScoringJob(this, k, modelPath, model, base, tuning);
            job.thresholdFunction(); // checks the adaptation settings
            return job;
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
        return ScoringJobChecks.againstBroker(options, kafka, limits);
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

    /**
     * The largest anomaly-map PNG the scorers render for a frame with a region, for its alert: the option's limit
     * (checked to be at most 512 kb when the job is built), or 0 with the picture turned off.
     */
    public int alertMapPngMaxBytes() {
        return options.get(ScoringJobOptions.ALERT_MAP_PNG) ? (int) options.get(ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES).getBytes() : 0;
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
        int mapPngMaxBytes = alertMapPngMaxBytes();
        SingleOutputStreamOperator<ScoredBatch> scored;
        if (tuning == null) {
            scored = batches.map(new ScoringFunction(modelPath.toString(), options.get(ScoringJobOptions.DEVICE),
                    options.get(ScoringJobOptions.PRECISION), config, mapPngMaxBytes));
        } else {
            // Flink 2.x has no iterations: the fine-tuner's decisions come back through the model-updates topic
            BroadcastStream<String> updates = env.fromSource(updatesSource(), WatermarkStrategy.noWatermarks(), "model-updates source")
                    .uid(UID_UPDATES_SOURCE)
                    .setParallelism(1)
                    .broadcast(ModelSwitchingScoringFunction.UPDATES);
            scored = batches.connect(updates).process(new ModelSwitchingScoringFunction(modelPath.toString(),
                    options.get(ScoringJobOptions.TUNING_REGISTRY), options.get(ScoringJobOptions.MODEL_UPDATES_SIGNING_KEY_FILE),
                    options.get(ScoringJobOptions.DEVICE), options.get(ScoringJobOptions.PRECISION), config,
                    options.get(ScoringJobOptions.TUNING_SAMPLE_RATE), mapPngMaxBytes));
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
        judged.sinkTo(sink("latents", KafkaRecords.latents(options.get(ScoringJobOptions.LATENTS_TOPIC), options.get(ScoringJobOptions.VALUE_FORMAT))))
                .name("latents sink")
                .uid(UID_LATENTS_SINK);
        DataStream<Alert> alerts = judged.getSideOutput(ThresholdFunction.ALERTS);
        alerts.sinkTo(sink("alerts", KafkaRecords.alerts(options.get(ScoringJobOptions.ALERTS_TOPIC), options.get(ScoringJobOptions.VALUE_FORMAT)),
                        options.get(ScoringJobOptions.ALERTS_DELIVERY_GUARANTEE)))
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
        return KafkaConnectors.frames(kafka, options.get(ScoringJobOptions.FRAMES_TOPIC), options.get(ScoringJobOptions.GROUP_ID), start,
                stoppingOffsets);
    }

    private KafkaSource<String> updatesSource() {
        return KafkaConnectors.modelUpdates(kafka, options.get(ScoringJobOptions.MODEL_UPDATES_TOPIC),
                options.get(ScoringJobOptions.GROUP_ID) + "-model-updates");
    }

    private <T> KafkaSink<T> sink(String name, KafkaRecordSerializationSchema<T> serializer) {
        return sink(name, serializer, options.get(ScoringJobOptions.DELIVERY_GUARANTEE));
    }

    private <T> KafkaSink<T> sink(String name, KafkaRecordSerializationSchema<T> serializer, Delivery delivery) {
        return KafkaConnectors.sink(kafka, serializer, delivery == Delivery.EXACTLY_ONCE ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE,
                transactionalIdPrefix() + "-" + name);
    }

    ThresholdFunction thresholdFunction() {
        return ThresholdFactory.of(options, baseThreshold, model);
    }

    /**
     * Runs the job on the environment the program runs in (a cluster under {@code flink run}, else a local one):
     * {@code flink run -c io.latentwatch.pipeline.ScoringJob JAR --bootstrap-servers H:P --model DIR [...]} with the
     * flags of {@code latentwatch run} ({@link JobFlags}) or {@code --latentwatch.KEY VALUE} for any {@link
     * ScoringJobOptions} key ({@link JobArguments}).
     */
    public static void main(String[] args) throws Exception {
        Configuration conf = JobArguments.parse(args);
        ScoringJob job = builder().setConfiguration(conf).build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        conf.getOptional(ScoringJobOptions.SCORING_PARALLELISM).ifPresent(env::setParallelism);
        job.attach(env);
        env.execute(NAME);
    }
}
