package io.latentwatch;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** Checks that what a test started has stopped its threads: every live thread now was alive before, or ends soon. */
public final class ThreadLeaks {

    /**
     * Threads that one JVM starts once and keeps, whoever comes first: JUnit's @Timeout watcher, the two meter-tick
     * threads of Kafka's process-wide Yammer metrics registry (KafkaYammerMetrics.INSTANCE), JNA's cleaner (DJL's
     * native handles), Java2D's disposer (ImageIO's first image) and Flink's static delay scheduler (FutureUtils). A
     * test that runs first in its JVM would otherwise see them as its own.
     */
    private static final List<String> PROCESS_WIDE = List.of("junit-jupiter-timeout-watcher", "metrics-meter-tick-thread-", "JNA Cleaner",
            "Java2D Disposer", "FlinkCompletableFutureDelayScheduler-thread-");

    private ThreadLeaks() {}

    /** The threads alive now. */
    public static Set<Thread> snapshot() {
        return Set.copyOf(Thread.getAllStackTraces().keySet());
    }

    /** Fails, naming them, if threads started since {@code before} are still alive after {@code grace}. */
    public static void assertNoNewThreads(Set<Thread> before, Duration grace) throws InterruptedException {
        assertNoNewThreads(before, grace, t -> true);
    }

    /**
     * Fails, naming them, if threads started since {@code before} that {@code which} selects are still alive after
     * {@code grace}: for tests beside a cluster whose own threads outlive them (a MiniClusterExtension's).
     */
    public static void assertNoNewThreads(Set<Thread> before, Duration grace, Predicate<Thread> which) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        Set<Thread> leaked;
        do {
            leaked = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.isAlive() && !before.contains(t) && which.test(t))
                    .filter(t -> PROCESS_WIDE.stream().noneMatch(t.getName()::startsWith))
                    .collect(Collectors.toSet());
            if (leaked.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        fail(leaked.size() + " thread(s) still alive " + grace.toMillis() + " ms after close: "
                + leaked.stream().map(t -> t.getName() + (t.isDaemon() ? " (daemon)" : "")).sorted().collect(Collectors.joining(", ")));
    }
}
