package io.latentwatch.console;

import io.latentwatch.pipeline.kafka.TopicNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The four topics the console reads, each a valid Kafka topic name and none the same as another. */
record ConsoleTopics(String alerts, String latents, String modelUpdates, String frames) {

    static final ConsoleTopics DEFAULTS = new ConsoleTopics("alerts", "latents", "model-updates", "frames");

    /** @throws IllegalArgumentException naming the topic and the rule it breaks, or the two that are the same */
    ConsoleTopics {
        Map<String, String> byRole = new LinkedHashMap<>();
        byRole.put("alerts", alerts);
        byRole.put("latents", latents);
        byRole.put("model-updates", modelUpdates);
        byRole.put("frames", frames);
        Map<String, String> roleOf = new LinkedHashMap<>();
        byRole.forEach((role, topic) -> {
            try {
                TopicNames.check(topic);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(role + " topic: " + e.getMessage());
            }
            String other = roleOf.putIfAbsent(topic, role);
            if (other != null) {
                throw new IllegalArgumentException(other + " topic and " + role + " topic are both '" + topic + "'; each needs its own");
            }
        });
    }

    List<String> all() {
        return List.of(alerts, latents, modelUpdates, frames);
    }
}
