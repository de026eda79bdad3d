package io.latentwatch.pipeline;

import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.ScoringJobOptions.Delivery;
import io.latentwatch.pipeline.kafka.BrokerLimits;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.pipeline.kafka.KafkaConnectors;
import io.latentwatch.pipeline.kafka.KafkaRecords;
import io.latentwatch.pipeline.kafka.TopicNames;
import io.latentwatch.registry.ModelUpdateSignature;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The rules of the job's settings, checked when it is built ({@link ScoringJob.Builder#build()}) and against what the
 * broker accepts ({@link ScoringJob#check(BrokerLimits)}). Each message names the option and the rule it breaks, or
 * both sides of a conflict.
 */
final class ScoringJobChecks {

    private static final Pattern DEVICE = Pattern.compile("auto|cpu|gpu|gpu:\\d+", Pattern.CASE_INSENSITIVE);
    private static final Pattern PRECISION = Pattern.compile("fp32|float32|fp16|float16", Pattern.CASE_INSENSITIVE);

    /** The largest anomaly_map_png that may be asked for. */
    static final long MAX_MAP_PNG_BYTES = 512 * 1024;

    private ScoringJobChecks() {}

    /** The model directory, which the job needs. */
    static Path modelPath(Configuration o) {
        String path = o.get(ScoringJobOptions.MODEL_PATH);
        check(path != null && !path.isBlank(), "%s is required (a model directory)", ScoringJobOptions.MODEL_PATH.key());
        return Paths.get(path);
    }

    /** Topics, batching, frame limits, device, checkpoints against delivery and the sinks' transaction timeout, group. */
    static void check(Configuration o, KafkaClientConfig kafka) {
        Set<String> topics = new LinkedHashSet<>();
        List<ConfigOption<String>> topicOptions = new ArrayList<>(List.of(ScoringJobOptions.FRAMES_TOPIC, ScoringJobOptions.LATENTS_TOPIC,
                ScoringJobOptions.ALERTS_TOPIC, ScoringJobOptions.DLQ_TOPIC));
        if (o.get(ScoringJobOptions.TUNING_ENABLED)) {
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
        long mapPng = o.get(ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES).getBytes();
        // base64 makes it 4/3 as large, and it must fit an alert record within Kafka's default 1 MB request
        check(mapPng >= 1 && mapPng <= MAX_MAP_PNG_BYTES, "%s must be between 1 byte and %s bytes, got %s",
                ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES.key(), MAX_MAP_PNG_BYTES, o.get(ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES));
        o.getOptional(ScoringJobOptions.SCORING_PARALLELISM).ifPresent(p ->
                check(p >= 1, "%s must be at least 1, got %s", ScoringJobOptions.SCORING_PARALLELISM.key(), p));
        String device = o.get(ScoringJobOptions.DEVICE);
        check(DEVICE.matcher(device.trim()).matches(), "%s must be auto, cpu, gpu or gpu:N, got %s", ScoringJobOptions.DEVICE.key(), device);
        String precision = o.get(ScoringJobOptions.PRECISION);
        check(PRECISION.matcher(precision.trim()).matches(), "%s must be fp32 or fp16, got %s", ScoringJobOptions.PRECISION.key(), precision);

        Duration interval = o.get(ScoringJobOptions.CHECKPOINT_INTERVAL);
        check(!interval.isNegative(), "%s must not be negative, got %s", ScoringJobOptions.CHECKPOINT_INTERVAL.key(), interval);
        for (ConfigOption<Delivery> guarantee : List.of(ScoringJobOptions.DELIVERY_GUARANTEE, ScoringJobOptions.ALERTS_DELIVERY_GUARANTEE)) {
            check(!(interval.isZero() && o.get(guarantee) == Delivery.EXACTLY_ONCE),
                    "%s=0 turns checkpointing off, but %s=exactly_once commits its transactions on checkpoints; turn one of them around",
                    ScoringJobOptions.CHECKPOINT_INTERVAL.key(), guarantee.key());
        }
        if (anyExactlyOnce(o)) {
            // a transaction stays open for a checkpoint interval at least; the broker aborts it after the timeout
            Duration timeout = KafkaConnectors.transactionTimeout(kafka);
            check(interval.compareTo(timeout) < 0, "%s must be below the sinks' transaction timeout of %s (%s%s), got %s",
                    ScoringJobOptions.CHECKPOINT_INTERVAL.key(), timeout, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                    kafka.has(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG) ? " of the Kafka properties" : ", latentwatch's default", interval);
        }
        o.getOptional(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX).ifPresent(prefix ->
                check(!prefix.isBlank(), "%s must not be blank", ScoringJobOptions.TRANSACTIONAL_ID_PREFIX.key()));
        check(!o.get(ScoringJobOptions.GROUP_ID).isBlank(), "%s must not be blank", ScoringJobOptions.GROUP_ID.key());
    }

    /** The threshold every source starts from: the option, else the model's calibrated one (NaN: none, which only adaptation allows). */
    static double baseThreshold(Configuration o, ModelMetadata model, Path modelPath) {
        double base = o.getOptional(ScoringJobOptions.THRESHOLD).orElse(model.threshold());
        o.getOptional(ScoringJobOptions.THRESHOLD).ifPresent(t ->
                check(t > 0 && Double.isFinite(t), "%s must be finite and positive, got %s", ScoringJobOptions.THRESHOLD.key(), t));
        check(Double.isFinite(base) || o.get(ScoringJobOptions.ADAPTIVE_THRESHOLD),
                "model %s has no calibrated threshold: set %s, or turn on %s", modelPath,
                ScoringJobOptions.THRESHOLD.key(), ScoringJobOptions.ADAPTIVE_THRESHOLD.key());
        return base;
    }

    /**
     * The signing key file, read once here so that a bad one is refused in one line, not in every task.
     *
     * @throws IOException if the file cannot be read
     */
    static void checkSigningKey(Configuration o) throws IOException {
        String keyFile = o.get(ScoringJobOptions.MODEL_UPDATES_SIGNING_KEY_FILE);
        if (keyFile != null) {
            try {
                ModelUpdateSignature.fromKeyFile(Paths.get(keyFile));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(ScoringJobOptions.MODEL_UPDATES_SIGNING_KEY_FILE.key() + ": " + e.getMessage(), e);
            }
        }
    }

    /** Whether a sink writes in Kafka transactions (the alerts sink has a guarantee of its own). */
    private static boolean anyExactlyOnce(Configuration o) {
        return o.get(ScoringJobOptions.DELIVERY_GUARANTEE) == Delivery.EXACTLY_ONCE || o.get(ScoringJobOptions.ALERTS_DELIVERY_GUARANTEE) == Delivery.EXACTLY_ONCE;
    }

    /**
     * The settings against what the cluster accepts.
     *
     * @return notes for the operator (frames larger than the topic takes, dead letters that will be cut)
     * @throws IllegalArgumentException if the sinks' transaction timeout is above the broker's cap (every exactly-once
     *     sink would fail to start)
     */
    static List<String> againstBroker(Configuration o, KafkaClientConfig kafka, BrokerLimits limits) {
        List<String> notes = new ArrayList<>();
        Duration timeout = KafkaConnectors.transactionTimeout(kafka);
        if (anyExactlyOnce(o) && limits.transactionMaxTimeoutMs().isPresent()
                && timeout.toMillis() > limits.transactionMaxTimeoutMs().getAsLong()) {
            throw new IllegalArgumentException("the sinks' transaction timeout of " + timeout + " (" + ProducerConfig.TRANSACTION_TIMEOUT_CONFIG
                    + ") is above the broker's cap of " + Duration.ofMillis(limits.transactionMaxTimeoutMs().getAsLong()) + " ("
                    + BrokerLimits.TRANSACTION_MAX_TIMEOUT + "); lower it in the Kafka properties or raise the broker's cap");
        }
        long maxFrame = o.get(ScoringJobOptions.MAX_FRAME_BYTES).getBytes();
        String frames = o.get(ScoringJobOptions.FRAMES_TOPIC);
        if (limits.framesMaxMessageBytes().isPresent() && maxFrame > limits.framesMaxMessageBytes().getAsInt()) {
            notes.add(ScoringJobOptions.MAX_FRAME_BYTES.key() + " is " + maxFrame + " bytes, but topic " + frames + " takes records of at most "
                    + limits.framesMaxMessageBytes().getAsInt() + " bytes (max.message.bytes): larger frames never reach the job");
        }
        int deadLetters = KafkaRecords.producerSetting(kafka.toProperties(), ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (limits.deadLettersMaxMessageBytes().isPresent()) {
            deadLetters = Math.min(deadLetters, limits.deadLettersMaxMessageBytes().getAsInt());
        }
        if (maxFrame > deadLetters) {
            notes.add("dead letters on " + o.get(ScoringJobOptions.DLQ_TOPIC) + " are cut to " + deadLetters + " bytes (the smaller of"
                    + " max.request.size and the topic's max.message.bytes): a refused frame above that keeps key, headers and its"
                    + " first bytes, marked truncated=true with original-size and original-sha256");
        }
        return notes;
    }

    /**
     * @throws IllegalArgumentException with the formatted message unless {@code ok}
     */
    static void check(boolean ok, String format, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(format, args));
        }
    }
}
