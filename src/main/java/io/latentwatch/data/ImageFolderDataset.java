package io.latentwatch.data;

import io.latentwatch.frames.ImageFrames;
import io.latentwatch.frames.ImageReading;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The images (PNG, JPEG, BMP) in a folder and its sub-folders, in path order. Each file's header is read when the
 * folder is opened, so that a file that is not a PNG, JPEG or BMP image, or that declares more pixels than the
 * {@link ImageReading.PixelBudget pixel budget}, is skipped there, with its reason, instead of failing a training
 * run half-way; no pixel is decoded then. {@link #normalise} decodes a file (subsampled when it is far larger than
 * the size asked for) and {@link #image(int)} decodes it whole; only paths are kept, so large folders fit.
 *
 * <p>An item's label is its sub-folder relative to the root ("good", "test/crack"; "" at the top), the layout of
 * MVTec AD and most inspection sets. Hidden files and files with other extensions are ignored, not counted as
 * skipped.
 */
public final class ImageFolderDataset implements ImageDataset {

    /** Extensions read, lower case, with the dot. */
    public static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp");

    /** A file that has an image extension but could not be read. */
    public record Skipped(Path file, String reason) {
        @Override
        public String toString() {
            return file + ": " + reason;
        }
    }

    private final Path root;
    private final List<Path> files;
    private final List<Skipped> skipped;
    private final int channels;
    private final int imageSize;
    private final ImageReading.PixelBudget budget;

    private ImageFolderDataset(Path root, List<Path> files, List<Skipped> skipped, int channels, int imageSize,
            ImageReading.PixelBudget budget) {
        this.root = root;
        this.files = List.copyOf(files);
        this.skipped = List.copyOf(skipped);
        this.channels = channels;
        this.imageSize = imageSize;
        this.budget = budget;
    }

    /** As {@link #open(Path, ImageReading.PixelBudget)} with the CLI's default budget. */
    public static ImageFolderDataset open(Path folder) throws IOException {
        return open(folder, ImageReading.PixelBudget.cliDefault());
    }

    /**
     * Opens a folder: lists its image files recursively and reads each one's header.
     *
     * @param budget files of more pixels are skipped, and the reason names the budget's setting
     * @throws IllegalArgumentException if the folder does not exist, is a file, or holds no readable image
     * @throws IOException if the folder cannot be listed
     */
    public static ImageFolderDataset open(Path folder, ImageReading.PixelBudget budget) throws IOException {
        return open(folder, budget, relative -> true);
    }

    /**
     * As {@link #open(Path, ImageReading.PixelBudget)}, only the files that {@code include} accepts (it is given
     * each file's path relative to the folder): MVTec AD's defect images are test/ without test/good/.
     */
    static ImageFolderDataset open(Path folder, ImageReading.PixelBudget budget, Predicate<Path> include) throws IOException {
        Path root = folder.toAbsolutePath().normalize();
        if (!Files.exists(root)) {
            throw new IllegalArgumentException("no such image folder: " + folder);
        }
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("not a folder: " + folder + " (an image folder dataset needs a directory)");
        }
        List<Path> candidates;
        try (Stream<Path> walk = Files.walk(root)) {
            candidates = walk.filter(p -> !p.equals(root))
                    .filter(p -> !isHidden(root.relativize(p)))
                    .filter(Files::isRegularFile)
                    .filter(ImageFolderDataset::hasImageExtension)
                    .filter(p -> include.test(root.relativize(p)))
                    .sorted()
                    .collect(Collectors.toList());
        }
        List<Path> readable = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        boolean allGray = true;
        int commonSize = -1;
        for (Path file : candidates) {
            int bands;
            int side;
            try (ImageReading.Opened img = ImageReading.open(file)) {
                img.check(budget);
                bands = img.bands();
                side = img.width() == img.height() ? img.width() : 0;
            } catch (IOException e) {
                skipped.add(new Skipped(file, reason(e)));
                continue;
            } catch (RuntimeException | OutOfMemoryError e) {
                // a reader's bug or a header it chokes on costs that file, not the folder
                skipped.add(new Skipped(file, ImageReading.reason(e)));
                continue;
            }
            readable.add(file);
            allGray &= bands == 1;
            commonSize = commonSize == -1 || commonSize == side ? side : 0;
        }
        if (readable.isEmpty()) {
            if (skipped.isEmpty()) {
                throw new IllegalArgumentException("no images (" + String.join(", ", EXTENSIONS) + ") in folder " + folder);
            }
            throw new IllegalArgumentException("no readable images in folder " + folder + ": " + skipped.size()
                    + " file(s) skipped, the first " + skipped.get(0));
        }
        return new ImageFolderDataset(root, readable, skipped, allGray ? 1 : 3, commonSize, budget);
    }

    /** The folder, absolute. */
    public Path root() {
        return root;
    }

    /** Item {@code index}'s file, absolute. */
    public Path file(int index) {
        return files.get(index);
    }

    /** The budget its images are read within. */
    ImageReading.PixelBudget budget() {
        return budget;
    }

    /** Files with an image extension that could not be read, each with the reason, in path order. */
    public List<Skipped> skipped() {
        return skipped;
    }

    @Override
    public int size() {
        return files.size();
    }

    /** The file's path relative to the folder, with '/' separators. */
    @Override
    public String name(int index) {
        return slashes(root.relativize(files.get(index)));
    }

    @Override
    public String label(int index) {
        Path parent = root.relativize(files.get(index)).getParent();
        return parent == null ? "" : slashes(parent);
    }

    /**
     * The file decoded whole.
     *
     * @throws UncheckedIOException with the reason if it cannot be decoded (opening read only its header)
     */
    @Override
    public BufferedImage image(int index) {
        return read(index, 0).image();
    }

    /** Decodes the file subsampled when it is far larger than {@code size}, then converts it as {@link ImageFrames} does. */
    @Override
    public void normalise(int index, int channels, int size, float[] out, int offset) {
        read(index, size).normalise(channels, size, out, offset);
    }

    private ImageReading.Decoded read(int index, int targetSize) {
        Path file = files.get(Objects.checkIndex(index, files.size()));
        try {
            return ImageReading.read(file, budget, targetSize);
        } catch (IOException e) {
            // the reason alone: callers name the item (NormalisedFrames: "good/x.png: undecodable image: ...")
            throw new UncheckedIOException(reason(e), e);
        }
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int imageSize() {
        return imageSize;
    }

    @Override
    public String description() {
        String size = imageSize > 0 ? imageSize + "x" + imageSize : "mixed-size";
        return String.format("image folder %s: %d %s %s images%s", root, files.size(), channels == 1 ? "gray" : "colour",
                size, skipped.isEmpty() ? "" : ", " + skipped.size() + " unreadable file(s) skipped");
    }

    @Override
    public String toString() {
        return description();
    }

    private static boolean hasImageExtension(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    /** Dot-files and anything under a dot-folder (.git, .DS_Store, editor backups) are not data. */
    private static boolean isHidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static String slashes(Path relative) {
        return relative.toString().replace(relative.getFileSystem().getSeparator(), "/");
    }

    /** The reason without the path, which the Skipped record already carries. */
    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
