package io.latentwatch.pipeline.kafka;

import org.apache.kafka.common.internals.Topic;

/**
 * Kafka's rules for topic names, checked before anything is created or subscribed. Only kafka-clients is needed here,
 * so the job checks its topics on a cluster where the development broker's classes are absent.
 */
public final class TopicNames {

    private TopicNames() {}

    /**
     * @throws IllegalArgumentException naming the rule a topic name breaks (Kafka's own wording)
     */
    public static void check(String name) {
        if (name == null) {
            throw new IllegalArgumentException("topic name must not be null");
        }
        Topic.validate(name, "topic name", reason -> {
            throw new IllegalArgumentException(reason);
        });
    }
}
