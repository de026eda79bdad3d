package io.latentwatch.console;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pictures of the most recent frames by frame id, bounded in count and bytes: an alert arrives after its frame,
 * and its card shows the frame. Not thread-safe.
 */
final class FrameCache {

    private final int maxFrames;
    private final long maxBytes;
    private final LinkedHashMap<String, byte[]> frames = new LinkedHashMap<>();
    private long bytes;

    FrameCache(int maxFrames, long maxBytes) {
        if (maxFrames < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("a frame cache holds at least one frame and one byte, got " + maxFrames + " frames, "
                    + maxBytes + " bytes");
        }
        this.maxFrames = maxFrames;
        this.maxBytes = maxBytes;
    }

    /** Keeps a frame's picture, evicting the oldest beyond the bounds; one larger than the byte bound is not kept. */
    void put(String frameId, byte[] image) {
        if (image.length > maxBytes) {
            return;
        }
        byte[] old = frames.remove(frameId);
        if (old != null) {
            bytes -= old.length;
        }
        frames.put(frameId, image);
        bytes += image.length;
        Iterator<Map.Entry<String, byte[]>> oldest = frames.entrySet().iterator();
        while (frames.size() > maxFrames || bytes > maxBytes) {
            bytes -= oldest.next().getValue().length;
            oldest.remove();
        }
    }

    /** The picture, or null when it is not (or no longer) here. */
    byte[] get(String frameId) {
        return frames.get(frameId);
    }

    int size() {
        return frames.size();
    }

    long bytes() {
        return bytes;
    }
}
