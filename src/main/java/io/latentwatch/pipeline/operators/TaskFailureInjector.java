package io.latentwatch.pipeline.operators;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.MapFunction;

/**
 * Passes records through and fails its task once each time {@link #failOnce()} asks: a task failure that no
 * record's content causes, for {@code benchmark faults}. The trigger is static, so it reaches the task only in the
 * JVM that set it (a local MiniCluster).
 */
public final class TaskFailureInjector<T> implements MapFunction<T, T> {
    private static final long serialVersionUID = 1L;
    private static final AtomicBoolean ARMED = new AtomicBoolean();

    /** The next record through any injector fails its task. */
    public static void failOnce() {
        ARMED.set(true);
    }

    /** Whether the failure asked for has happened. */
    public static boolean failed() {
        return !ARMED.get();
    }

    @Override
    public T map(T record) {
        if (ARMED.compareAndSet(true, false)) {
            throw new IllegalStateException("task failure injected by benchmark faults");
        }
        return record;
    }
}
