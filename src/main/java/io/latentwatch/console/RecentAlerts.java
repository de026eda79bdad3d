package io.latentwatch.console;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last alerts, in arrival order, one per frame id, each with the picture of its frame once it is known. The alerts
 * topic may be written at least once, so an alert whose frame id was seen is dropped; the ids remembered for that
 * outnumber the alerts kept, so that a replay of an alert already evicted does not come back either. Not thread-safe.
 */
final class RecentAlerts {

    /** Frame ids remembered per alert kept. */
    static final int SEEN_PER_KEPT = 8;

    private final int capacity;
    private final LinkedHashMap<String, Entry> alerts = new LinkedHashMap<>();
    private final LinkedHashMap<String, Boolean> seen;

    private static final class Entry {
        final ConsoleAlert alert;
        byte[] frame;

        Entry(ConsoleAlert alert, byte[] frame) {
            this.alert = alert;
            this.frame = frame;
        }
    }

    /** @param capacity alerts kept, at least 1 */
    RecentAlerts(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("alerts kept must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        int remembered = capacity * SEEN_PER_KEPT;
        this.seen = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > remembered;
            }
        };
    }

    /**
     * Keeps an alert unless its frame id was seen; the oldest goes when there are more than the capacity.
     *
     * @param frame the frame's picture if known already, else null
     * @return whether it is new
     */
    boolean add(ConsoleAlert alert, byte[] frame) {
        if (seen.put(alert.frameId(), Boolean.TRUE) != null) {
            return false;
        }
        alerts.put(alert.frameId(), new Entry(alert, frame));
        while (alerts.size() > capacity) {
            alerts.remove(alerts.keySet().iterator().next());
        }
        return true;
    }

    /** Gives a kept alert its frame's picture; whether one was waiting for it. */
    boolean attachFrame(String frameId, byte[] frame) {
        Entry e = alerts.get(frameId);
        if (e == null || e.frame != null) {
            return false;
        }
        e.frame = frame;
        return true;
    }

    /** The picture of a kept alert's frame, or null. */
    byte[] frame(String frameId) {
        Entry e = alerts.get(frameId);
        return e == null ? null : e.frame;
    }

    /** The anomaly map picture of a kept alert, or null. */
    byte[] map(String frameId) {
        Entry e = alerts.get(frameId);
        return e == null ? null : e.alert.mapPng();
    }

    boolean hasFrame(String frameId) {
        return frame(frameId) != null;
    }

    /** The kept alerts, oldest first. */
    List<ConsoleAlert> inOrder() {
        List<ConsoleAlert> out = new ArrayList<>(alerts.size());
        alerts.values().forEach(e -> out.add(e.alert));
        return out;
    }

    int capacity() {
        return capacity;
    }

    int size() {
        return alerts.size();
    }
}
