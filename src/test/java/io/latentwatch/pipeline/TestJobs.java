package io.latentwatch.pipeline;

import io.latentwatch.TestModels;
import io.latentwatch.dev.EmbeddedKafka;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;

/** The scoring job as the integration tests build it (here and in io.latentwatch.deploy). */
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
}
