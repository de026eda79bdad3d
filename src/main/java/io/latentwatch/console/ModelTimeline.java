package io.latentwatch.console;

import io.latentwatch.registry.ModelUpdate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The decisions of the model-updates topic in arrival order: initial model, accepted and rejected candidates, pins
 * and rollbacks. A record read twice (an at-least-once writer's replay) is kept once; beyond {@code capacity} the
 * oldest go. Not thread-safe.
 */
final class ModelTimeline {

    private final int capacity;
    private final LinkedHashSet<ModelUpdate> updates = new LinkedHashSet<>();

    ModelTimeline(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("model updates kept must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** @return whether it is new */
    boolean add(ModelUpdate update) {
        if (!updates.add(update)) {
            return false;
        }
        while (updates.size() > capacity) {
            updates.remove(updates.iterator().next());
        }
        return true;
    }

    /** Oldest first. */
    List<ModelUpdate> inOrder() {
        return new ArrayList<>(updates);
    }
}
