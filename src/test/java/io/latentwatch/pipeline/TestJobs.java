package io.latentwatch.pipeline;

import io.latentwatch.TestModels;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.nio.file.Path;
import java.time.Duration;

/** The scoring job as the integration tests build it (here, in io.latentwatch.deploy and io.latentwatch.console). */
public final class TestJobs {

    private TestJobs() {}

    /**
     * A job of the test model on the CPU, on the topics {@code PREFIX + frames | latents | alerts | dlq | updates},
     * consumer group {@code PREFIX + group}, from the frames' earliest offset; each test adds what it is about.
     */
    public static ScoringJob.Builder onTopics(EmbeddedKafka kafka, String prefix) {
        return ScoringJob.builder()
                .optKafkaClientConfig(KafkaClientConfig.of(kafka.clientProperties()))
                .set(ScoringJobOptions.MODEL_PATH, TestModels.detector().toString())
                .set(ScoringJobOptions.DEVICE, "cpu")
                .set(ScoringJobOptions.FRAMES_TOPIC, prefix + "frames")
                .set(ScoringJobOptions.LATENTS_TOPIC, prefix + "latents")
                .set(ScoringJobOptions.ALERTS_TOPIC, prefix + "alerts")
                .set(ScoringJobOptions.DLQ_TOPIC, prefix + "dlq")
                .set(ScoringJobOptions.MODEL_UPDATES_TOPIC, prefix + "updates")
                .set(ScoringJobOptions.GROUP_ID, prefix + "group")
                .set(ScoringJobOptions.STARTING_OFFSETS, ScoringJobOptions.StartingOffsets.EARLIEST);
    }

    /**
     * {@link #onTopics} with small batches, 300 ms checkpoints, and fine-tuning after every 40 sampled frames (every
     * frame sampled), the first 20 the reference set, a lenient gate: a first round after 60 normal frames, whose
     * candidate is accepted.
     */
    public static ScoringJob.Builder fineTuning(EmbeddedKafka kafka, String prefix, Path registry) {
        return onTopics(kafka, prefix)
                .set(ScoringJobOptions.TRANSACTIONAL_ID_PREFIX, prefix + "tx")
                .set(ScoringJobOptions.SCORING_PARALLELISM, 1)
                .set(ScoringJobOptions.MAX_BATCH_SIZE, 8)
                .set(ScoringJobOptions.MAX_BATCH_DELAY, Duration.ofMillis(5))
                .set(ScoringJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300))
                .set(ScoringJobOptions.TUNING_ENABLED, true)
                .set(ScoringJobOptions.TUNING_REGISTRY, registry.toString())
                .set(ScoringJobOptions.TUNING_SAMPLE_RATE, 1.0)
                .set(ScoringJobOptions.TUNING_REFERENCE_FRAMES, 20)
                .set(ScoringJobOptions.TUNING_FRAMES, 40)
                .set(ScoringJobOptions.TUNING_STEPS, 8)
                .set(ScoringJobOptions.TUNING_BATCH_SIZE, 16)
                .set(ScoringJobOptions.TUNING_LEARNING_RATE, 1e-4)
                .set(ScoringJobOptions.TUNING_DEVICE, "cpu")
                .set(ScoringJobOptions.TUNING_HELD_OUT_EVERY, 2)
                .set(ScoringJobOptions.TUNING_GATE_MIN_HELD_OUT, 16)
                .set(ScoringJobOptions.TUNING_GATE_TOLERANCE, 1.0)
                .set(ScoringJobOptions.TUNING_GATE_REFERENCE_TOLERANCE, 1.0);
    }
}
